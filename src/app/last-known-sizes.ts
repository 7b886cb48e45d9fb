import { parseReference } from "../model/oci.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import type { PushTarget } from "../plan/targets.js";
import { RegistryClient } from "../registry/client.js";
import { credentialsFor } from "../registry/credentials.js";
import { lastKnownSizes } from "../registry/sizes.js";

/** A size lookup is a convenience: a registry that does not answer soon leaves it out. */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * Fills each catalog node's `lastKnownSize` from the push registry (GHCR or host/namespace):
 * manifests only, no retries, a short deadline. Nothing for ttl.sh (new refs each run) or none.
 */
export async function addLastKnownSizes(
  graph: BuildGraph,
  target: PushTarget,
  options: { env?: Record<string, string | undefined>; signal?: AbortSignal },
): Promise<void> {
  const host = target.kind === "registry" ? target.host : target.kind === "ghcr" ? "ghcr.io" : "";
  if (!host) return;
  const credentials = credentialsFor(host, options.env ?? process.env);
  const registry = new RegistryClient({
    retries: 0,
    timeoutMs: LOOKUP_TIMEOUT_MS,
    ...(credentials ? { credentials } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const nodes = graph.nodes
    .filter((n) => n.kind === "catalog")
    .map((n) => ({
      name: n.name,
      repository: n.repository,
      contentTag: n.contentTag,
      platforms: n.platforms,
      aliasTags: n.refs.aliases.flatMap((alias) => {
        const parsed = parseReference(alias);
        return parsed.ok && parsed.value.tag ? [parsed.value.tag] : [];
      }),
    }));
  const sizes = await lastKnownSizes(registry, nodes).catch(() => new Map());
  for (const node of graph.nodes) {
    const size = sizes.get(node.name);
    if (size) node.lastKnownSize = size;
  }
}
