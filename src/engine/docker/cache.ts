/** BuildKit layer caches beyond the builder's own: which one a run uses, and its buildx flags. */
import { formatReference, parseReference } from "../../model/oci.js";

export const CACHE_MODES = ["registry", "inline", "gha", "none"] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** The tag of the per-image registry cache, beside the image's own tags. */
export const CACHE_TAG = "buildcache";

/** Caches the docker driver cannot export: they need a remote or docker-container builder. */
export function needsExportingBuilder(setting: CacheMode | undefined): boolean {
  return setting === "registry" || setting === "gha";
}

export interface CacheDecision {
  mode: CacheMode;
  /** Said once on stderr when the run does not get what was asked (or the default). */
  note?: string;
}

/**
 * The cache a run uses. Unset: `registry` when pushing to a registry on a builder that can
 * export it, `inline` on the docker driver (which cannot), none without a registry.
 */
export function resolveCache(
  setting: CacheMode | undefined,
  context: { pushesToRegistry: boolean; builder: string; driver: string },
): CacheDecision {
  const dockerDriver = context.driver === "docker";
  if (setting === "none" || setting === "inline" || setting === "gha") return { mode: setting };
  if (setting === "registry") {
    if (context.pushesToRegistry) return { mode: "registry" };
    return {
      mode: "none",
      note: "cache: registry needs a registry to push to (--push host/namespace); no layer cache is exported",
    };
  }
  if (!context.pushesToRegistry) return { mode: "none" };
  if (dockerDriver)
    return {
      mode: "inline",
      note: `builder ${context.builder} uses the docker driver, which cannot export a registry cache: using the inline cache (a remote or docker-container builder gets cache: registry)`,
    };
  return { mode: "registry" };
}

/** `<repository>:buildcache`, built with the one reference parser. */
export function cacheRef(repository: string): string {
  const parsed = parseReference(repository);
  if (!parsed.ok) return `${repository}:${CACHE_TAG}`;
  return formatReference({ ...parsed.value, tag: CACHE_TAG, digest: undefined });
}

export interface NodeCache {
  /** The image's repository, with the registry host. */
  repository: string;
  /** The image's name in the catalog: the gha cache scope. */
  name: string;
  /** An earlier image to take inline cache from (a moving alias), if any. */
  inlineFrom?: string;
  /** --no-cache: export the cache, import nothing. */
  noCache: boolean;
}

/** `--cache-from` / `--cache-to` flags of one image's build. */
export function cacheArgv(mode: CacheMode, node: NodeCache): string[] {
  const from: string[] = [];
  const to: string[] = [];
  if (mode === "registry") {
    const ref = cacheRef(node.repository);
    from.push(`type=registry,ref=${ref}`);
    to.push(`type=registry,ref=${ref},mode=max`);
  } else if (mode === "gha") {
    from.push(`type=gha,scope=${node.name}`);
    to.push(`type=gha,scope=${node.name},mode=max`);
  } else if (mode === "inline") {
    if (node.inlineFrom) from.push(`type=registry,ref=${node.inlineFrom}`);
    to.push("type=inline");
  }
  const argv: string[] = [];
  if (!node.noCache) for (const f of from) argv.push("--cache-from", f);
  for (const t of to) argv.push("--cache-to", t);
  return argv;
}
