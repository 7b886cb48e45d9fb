/** What platforms a manifest from a registry holds: pure, tested on real registry answers. */

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/** What a registry answered for a manifest: its media type and its bytes. */
export interface ManifestBody {
  mediaType: string;
  body: Buffer | string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `linux/arm64/v8` is `linux/arm64`, as buildx and the catalog write it. */
export function platformName(platform: Record<string, unknown>): string | undefined {
  const { os, architecture, variant } = platform;
  if (typeof os !== "string" || typeof architecture !== "string") return undefined;
  if (os === "unknown" || architecture === "unknown") return undefined;
  const withVariant =
    typeof variant === "string" &&
    variant !== "" &&
    !(architecture === "arm64" && variant === "v8");
  return withVariant ? `${os}/${architecture}/${variant}` : `${os}/${architecture}`;
}

/**
 * The platforms of an image index (or Docker manifest list), sorted; attestation manifests
 * (`unknown/unknown`) are not platforms. Undefined for a single-platform manifest, whose
 * platform only its config says, and for bodies that are not a manifest at all.
 */
export function indexPlatforms(manifest: ManifestBody): string[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(manifest.body.toString());
  } catch {
    return undefined;
  }
  const doc = record(data);
  if (!doc) return undefined;
  const mediaType = typeof doc.mediaType === "string" ? doc.mediaType : manifest.mediaType;
  const isIndex = INDEX_TYPES.has(mediaType.split(";")[0]?.trim() ?? "");
  if (!isIndex || !Array.isArray(doc.manifests)) return undefined;
  const platforms = new Set<string>();
  for (const entry of doc.manifests) {
    const platform = record(record(entry)?.platform);
    const name = platform ? platformName(platform) : undefined;
    if (name) platforms.add(name);
  }
  return [...platforms].sort();
}

/** The asked-for platforms an image lacks (asked ones normalised like the index's). */
export function missingPlatforms(asked: readonly string[], present: readonly string[]): string[] {
  const have = new Set(present);
  return asked.filter((p) => !have.has(p.replace(/^(linux\/arm64)\/v8$/, "$1")));
}
