import { formatReference, parseReference } from "../model/oci.js";
import { mapBaseImage } from "./base-images.js";

/**
 * Base images of a plan: what each external base maps to and the digest it resolved to. Pure:
 * the digests are looked up beforehand (app/base-digests.ts) and handed in as data.
 */

/** Mapped ref → manifest digest; null when it could not be resolved (offline, unreachable). */
export type BaseDigests = Readonly<Record<string, string | null>>;

/** `ref@digest` when a digest is known and the ref holds none yet. */
export function pinnedRef(ref: string, digest: string | null | undefined): string {
  if (!digest) return ref;
  const parsed = parseReference(ref);
  if (!parsed.ok || parsed.value.digest) return ref;
  return formatReference({ ...parsed.value, digest });
}

/** The digest a ref is pinned to: written in it, or looked up; null when neither. */
export function digestOf(ref: string, digests: BaseDigests): string | null {
  const parsed = parseReference(ref);
  return (parsed.ok ? parsed.value.digest : undefined) ?? digests[ref] ?? null;
}

/** True when a ref needs a registry lookup to be pinned: parsable and not pinned already. */
export function needsDigest(ref: string): boolean {
  if (ref === "scratch") return false;
  const parsed = parseReference(ref);
  return parsed.ok && parsed.value.digest === undefined;
}

/** `ARG NAME=image` defaults a generated Dockerfile declares for its base images. */
export function baseImageArgs(dockerfile: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of dockerfile.matchAll(/^ARG\s+([A-Z_]+_IMAGE)=(\S+)\s*$/gm))
    out[match[1] as string] = match[2] as string;
  return out;
}

/** Literal images in FROM lines (not stages, not ${ARG}s). */
export function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const match of dockerfile.matchAll(
    /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim,
  )) {
    const image = match[1] as string;
    if (!image.includes("$") && !stages.has(image.toLowerCase()) && image !== "scratch")
      images.push(image);
    if (match[2]) stages.add(match[2].toLowerCase());
  }
  return [...new Set(images)];
}

export interface DockerfileBases {
  /** `*_IMAGE` build arguments: mapped, pinned when a digest is known. */
  buildArgs: Record<string, string>;
  /** Literal FROM image → what to build from instead (mapped and/or pinned). */
  baseContexts: Record<string, string>;
  /** Every external base after mapping, sorted, with its digest. */
  bases: { ref: string; digest: string | null }[];
}

/** The external bases of a Dockerfile, its mappings applied and digests pinned. */
export function dockerfileBases(
  dockerfile: string,
  mapping: Readonly<Record<string, string>>,
  digests: BaseDigests,
): DockerfileBases {
  const bases = new Map<string, string | null>();
  const resolve = (image: string): string => {
    const mapped = mapBaseImage(image, mapping);
    const digest = digestOf(mapped, digests);
    bases.set(mapped, digest);
    return pinnedRef(mapped, digest);
  };
  const buildArgs = Object.fromEntries(
    Object.entries(baseImageArgs(dockerfile)).map(([k, v]) => [k, resolve(v)]),
  );
  const baseContexts = Object.fromEntries(
    fromImages(dockerfile)
      .map((image) => [image, resolve(image)] as const)
      .filter(([image, replacement]) => image !== replacement),
  );
  return {
    buildArgs,
    baseContexts,
    bases: [...bases]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([ref, digest]) => ({ ref, digest })),
  };
}

/** Refs of `dockerfile` that a registry lookup could pin, after mapping. */
export function dockerfileBaseRefs(
  dockerfile: string,
  mapping: Readonly<Record<string, string>>,
): string[] {
  return dockerfileBases(dockerfile, mapping, {})
    .bases.map((b) => b.ref)
    .filter(needsDigest);
}

/** Warnings for bases left unpinned, one per ref, with the reason gathering gave. */
export function unpinnedWarnings(
  bases: readonly { ref: string; digest: string | null }[],
  reasons: Readonly<Record<string, string>>,
): string[] {
  const refs = bases.filter((b) => b.digest === null && needsDigest(b.ref)).map((b) => b.ref);
  return [...new Set(refs)]
    .sort()
    .map(
      (ref) =>
        `base image ${ref} is not pinned to a digest (${reasons[ref] ?? "not looked up"}); hashed by its tag`,
    );
}
