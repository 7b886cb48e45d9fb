import { toHiltError } from "../errors.js";
import { parseReference } from "../model/oci.js";
import { RegistryClient } from "../registry/client.js";
import type { Credentials } from "../registry/credentials.js";

/** Docker Hub's API host for names without a registry (`debian`, `owner/app`). */
const DOCKER_HUB = "registry-1.docker.io";

/** A base lookup is a convenience: a registry that does not answer soon leaves the base unpinned. */
const LOOKUP_TIMEOUT_MS = 4000;

export interface BaseLookup {
  /** Ref → manifest digest, or null when it could not be pinned. */
  digests: Record<string, string | null>;
  /** Ref → why it is not pinned. */
  reasons: Record<string, string>;
}

/** Where a ref's manifest lives: registry host, repository path, tag. */
export function manifestLocation(
  ref: string,
): { host: string; path: string; reference: string } | undefined {
  const parsed = parseReference(ref);
  if (!parsed.ok) return undefined;
  const { domain, path, tag, digest } = parsed.value;
  const host = domain === undefined || domain === "docker.io" ? DOCKER_HUB : domain;
  const repo = host === DOCKER_HUB && !path.includes("/") ? `library/${path}` : path;
  return { host, path: repo, reference: digest ?? tag ?? "latest" };
}

/**
 * Resolves each external base to its manifest digest with a registry HEAD, once per ref. Never
 * fails: `--offline`, an unknown tag or a registry that does not answer (quickly) leave the ref
 * unpinned, with the reason. Credentials go only to `credentials.host`, never to another registry.
 */
export async function resolveBaseDigests(
  refs: Iterable<string>,
  options: {
    offline?: boolean;
    signal?: AbortSignal;
    credentials?: { host: string; value: Credentials };
    client?: (host: string) => Pick<RegistryClient, "headManifest">;
  } = {},
): Promise<BaseLookup> {
  const digests: Record<string, string | null> = {};
  const reasons: Record<string, string> = {};
  const clients = new Map<string, Pick<RegistryClient, "headManifest">>();
  const clientFor = (host: string) => {
    let client = clients.get(host);
    if (!client) {
      const credentials =
        options.credentials?.host === host ? { credentials: options.credentials.value } : {};
      client =
        options.client?.(host) ??
        new RegistryClient({
          ...credentials,
          retries: 0,
          timeoutMs: LOOKUP_TIMEOUT_MS,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      clients.set(host, client);
    }
    return client;
  };
  await Promise.all(
    [...new Set(refs)].sort().map(async (ref) => {
      digests[ref] = null;
      if (options.offline) {
        reasons[ref] = "--offline";
        return;
      }
      const where = manifestLocation(ref);
      if (!where) {
        reasons[ref] = "not a valid image reference";
        return;
      }
      try {
        const digest = await clientFor(where.host).headManifest(
          `${where.host}/${where.path}`,
          where.reference,
        );
        if (digest) digests[ref] = digest;
        else reasons[ref] = `${where.host} has no such tag, or no digest for it`;
      } catch (error) {
        const e = toHiltError(error);
        if (e.code === "INTERRUPTED") throw e;
        reasons[ref] = `${where.host} did not answer: ${e.code}`;
      }
    }),
  );
  return { digests, reasons };
}
