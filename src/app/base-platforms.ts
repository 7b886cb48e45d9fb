import { HiltError, toHiltError } from "../errors.js";
import { pinnedRef } from "../plan/bases.js";
import type { PlanNode } from "../plan/plan-schema.js";
import { RegistryClient } from "../registry/client.js";
import type { Credentials } from "../registry/credentials.js";
import { indexPlatforms, missingPlatforms } from "../registry/platforms.js";
import { manifestLocation } from "./base-digests.js";

/** A base lookup is a check, not a build step: a silent registry leaves the base unchecked. */
const LOOKUP_TIMEOUT_MS = 4000;

type ManifestReader = Pick<RegistryClient, "getManifest">;

/** What a base offers: an index's platforms, one manifest (one platform), or unknown. */
type Offer =
  | { kind: "index"; platforms: string[] }
  | { kind: "single" }
  | { kind: "unknown"; reason: string };

async function offerOf(ref: string, clientFor: (host: string) => ManifestReader): Promise<Offer> {
  const where = manifestLocation(ref);
  if (!where) return { kind: "unknown", reason: "not a valid image reference" };
  try {
    const manifest = await clientFor(where.host).getManifest(
      `${where.host}/${where.path}`,
      where.reference,
    );
    if (!manifest) return { kind: "unknown", reason: `${where.host} has no such manifest` };
    const platforms = indexPlatforms(manifest);
    return platforms ? { kind: "index", platforms } : { kind: "single" };
  } catch (error) {
    const e = toHiltError(error);
    if (e.code === "INTERRUPTED") throw e;
    return { kind: "unknown", reason: `${where.host} did not answer: ${e.code}` };
  }
}

/**
 * A node's external base, pinned. Only pinned bases are checked: the plan's digest lookup
 * already found their registry answering, so the check adds no wait on an unreachable one.
 */
function baseRefOf(node: PlanNode): string | undefined {
  if (node.from.type !== "external" || !node.from.digest) return undefined;
  return pinnedRef(node.from.ref, node.from.digest);
}

/** Why each image whose external base cannot give its platforms cannot be built. Pure. */
export function basePlatformProblems(
  nodes: readonly PlanNode[],
  offers: ReadonlyMap<string, Offer>,
): string[] {
  const refused = new Map<string, string>();
  for (const node of nodes) {
    const ref = baseRefOf(node);
    const offer = ref ? offers.get(ref) : undefined;
    if (!ref || !offer) continue;
    if (offer.kind === "index") {
      const missing = missingPlatforms(node.platforms, offer.platforms);
      if (missing.length > 0)
        refused.set(
          node.name,
          `${node.name}: its base ${node.from.type === "external" ? node.from.ref : ref} has no ${missing.join(", ")} (it has ${offer.platforms.join(", ") || "no platform"})`,
        );
    } else if (offer.kind === "single" && node.platforms.length > 1) {
      refused.set(
        node.name,
        `${node.name}: its base ${node.from.type === "external" ? node.from.ref : ref} is a single-platform image, not an index: it cannot give ${node.platforms.join(", ")}`,
      );
    }
  }
  // Children of a refused image inherit its base: say so, once each.
  const inherit = (node: PlanNode): string | undefined => {
    const parent = node.from.type === "image" ? node.from.name : undefined;
    if (!parent) return undefined;
    if (refused.has(parent)) return parent;
    const parentNode = nodes.find((n) => n.name === parent);
    return parentNode ? inherit(parentNode) : undefined;
  };
  const problems = [...refused.values()];
  for (const node of nodes) {
    const root = inherit(node);
    if (root) problems.push(`${node.name}: built from ${root}, which cannot be built`);
  }
  return problems;
}

/**
 * Refuses, before anything is built, images whose external base image lacks a platform the run
 * builds. Unpinned bases (offline, only in the local store) and silent registries stay unchecked.
 */
export async function checkBasePlatforms(
  nodes: readonly PlanNode[],
  options: {
    signal?: AbortSignal;
    credentials?: { host: string; value: Credentials };
    clientFor?: (host: string) => ManifestReader;
  } = {},
): Promise<{ unchecked: Record<string, string> }> {
  const clients = new Map<string, ManifestReader>();
  const clientFor = (host: string): ManifestReader => {
    let client = clients.get(host);
    if (!client) {
      client =
        options.clientFor?.(host) ??
        new RegistryClient({
          ...(options.credentials?.host === host ? { credentials: options.credentials.value } : {}),
          retries: 0,
          timeoutMs: LOOKUP_TIMEOUT_MS,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      clients.set(host, client);
    }
    return client;
  };
  const refs = [...new Set(nodes.map(baseRefOf).filter((r): r is string => r !== undefined))];
  const offers = new Map<string, Offer>();
  await Promise.all(refs.sort().map(async (ref) => offers.set(ref, await offerOf(ref, clientFor))));
  const problems = basePlatformProblems(nodes, offers);
  if (problems.length > 0)
    throw new HiltError(
      "PLATFORM_UNSUPPORTED",
      `${problems.length} image(s) cannot be built for the platforms asked:\n${problems.join("\n")}`,
      {
        hint: "build only the platforms the base offers (--platform), or map the base to a multi-platform index (--base-image NAME=REF, or baseImages in the pipeline)",
      },
    );
  const unchecked: Record<string, string> = {};
  for (const [ref, offer] of offers) if (offer.kind === "unknown") unchecked[ref] = offer.reason;
  return { unchecked };
}
