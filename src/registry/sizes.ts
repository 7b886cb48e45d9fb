import type { RegistryClient } from "./client.js";
import { type ManifestBody, platformName } from "./platforms.js";

/** What one platform of a pushed image weighs, as a pull downloads it. */
export interface PlatformSize {
  /** The manifest's layers plus its config, compressed, in bytes. */
  compressed: number;
  /** Compressed bytes of the layers the parent image does not have. */
  added?: number;
}

/** One platform manifest: its config and its layers (digest and compressed size). */
export interface ManifestLayers {
  config: number;
  layers: { digest: string; size: number }[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function parse(body: Buffer | string): Record<string, unknown> | undefined {
  try {
    return record(JSON.parse(body.toString()));
  } catch {
    return undefined;
  }
}

const size = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;

/** The config and layers of a single-platform manifest; undefined for an index or junk. */
export function manifestLayers(manifest: ManifestBody): ManifestLayers | undefined {
  const doc = parse(manifest.body);
  if (!doc || !Array.isArray(doc.layers)) return undefined;
  const layers = doc.layers.flatMap((entry) => {
    const layer = record(entry);
    return typeof layer?.digest === "string"
      ? [{ digest: layer.digest, size: size(layer.size) }]
      : [];
  });
  return { config: size(record(doc.config)?.size), layers };
}

/** An index's platform manifests (attestations left out): platform → manifest digest. */
export function indexEntries(manifest: ManifestBody): Map<string, string> | undefined {
  const doc = parse(manifest.body);
  if (!doc || !Array.isArray(doc.manifests)) return undefined;
  const entries = new Map<string, string>();
  for (const entry of doc.manifests) {
    const item = record(entry);
    const platform = record(item?.platform);
    const name = platform ? platformName(platform) : undefined;
    if (name && typeof item?.digest === "string" && !entries.has(name))
      entries.set(name, item.digest);
  }
  return entries;
}

/** Compressed size of a manifest, and what it adds over the parent's layers when known. */
export function platformSize(image: ManifestLayers, parent?: ManifestLayers): PlatformSize {
  const layerBytes = image.layers.reduce((sum, l) => sum + l.size, 0);
  const result: PlatformSize = { compressed: layerBytes + image.config };
  if (parent) {
    const inherited = new Set(parent.layers.map((l) => l.digest));
    result.added = image.layers
      .filter((l) => !inherited.has(l.digest))
      .reduce((sum, l) => sum + l.size, 0);
  }
  return result;
}

type Reader = Pick<RegistryClient, "getManifest">;

/** platform → layers of an image in a registry; a single manifest counts as `fallback`. */
async function layersByPlatform(
  registry: Reader,
  repository: string,
  digest: string,
  fallback: string,
): Promise<Map<string, ManifestLayers>> {
  const out = new Map<string, ManifestLayers>();
  const top = await registry.getManifest(repository, digest);
  if (!top) return out;
  const single = manifestLayers(top);
  if (single) {
    out.set(fallback, single);
    return out;
  }
  for (const [platform, child] of indexEntries(top) ?? []) {
    const manifest = await registry.getManifest(repository, child);
    const layers = manifest && manifestLayers(manifest);
    if (layers) out.set(platform, layers);
  }
  return out;
}

/**
 * Per-platform compressed sizes of a pushed image, read from its manifests (no layer is
 * downloaded), and the bytes each adds over the same platform of its parent.
 */
export async function registrySizes(
  registry: Reader,
  image: { repository: string; digest: string; platforms: readonly string[] },
  parent?: { repository: string; digest: string },
): Promise<Record<string, PlatformSize>> {
  const fallback = image.platforms[0] ?? "unknown";
  const mine = await layersByPlatform(registry, image.repository, image.digest, fallback);
  const theirs = parent
    ? await layersByPlatform(registry, parent.repository, parent.digest, fallback)
    : undefined;
  const sizes: Record<string, PlatformSize> = {};
  for (const [platform, layers] of mine)
    sizes[platform] = platformSize(layers, theirs?.get(platform));
  return sizes;
}

/** What an image weighs, every field only when known (see the result schema's `size`). */
export interface MeasuredSize {
  compressed?: number;
  uncompressed?: number;
  added?: number;
  addedUncompressed?: number;
  platforms?: Record<string, PlatformSize>;
}

/**
 * An image's size from what can be had without downloading a layer: its manifests in the
 * registry (compressed, per platform, and what it adds over its parent) and the local image
 * store (uncompressed). A source that fails to answer leaves its fields out.
 */
export async function measureImage(input: {
  registry?: Reader | undefined;
  image: { repository: string; digest: string; platforms: readonly string[] };
  parent?: { repository: string; digest: string } | undefined;
  localSize?: ((ref: string) => Promise<number | undefined>) | undefined;
  localRef?: string | undefined;
  parentLocalRef?: string | undefined;
}): Promise<MeasuredSize> {
  const out: MeasuredSize = {};
  if (input.registry) {
    const platforms = await registrySizes(input.registry, input.image, input.parent).catch(
      () => ({}) as Record<string, PlatformSize>,
    );
    const values = Object.values(platforms);
    if (values.length > 0) {
      const top = values.reduce((a, b) => (b.compressed > a.compressed ? b : a));
      out.compressed = top.compressed;
      if (top.added !== undefined) out.added = top.added;
      out.platforms = platforms;
    }
  }
  if (input.localSize && input.localRef) {
    const mine = await input.localSize(input.localRef).catch(() => undefined);
    if (mine !== undefined) {
      out.uncompressed = mine;
      const theirs = input.parentLocalRef
        ? await input.localSize(input.parentLocalRef).catch(() => undefined)
        : undefined;
      if (theirs !== undefined && mine >= theirs) out.addedUncompressed = mine - theirs;
    }
  }
  return out;
}

/** What an image weighed when it was last pushed: compressed (largest platform), and where. */
export interface LastKnownSize {
  compressed: number;
  ref: string;
}

/**
 * Each image's last known size, from the registry: its content tag (exactly what this plan
 * would build) when it was pushed before, else its first moving tag. Images never pushed, and
 * registries that do not answer, are left out: planning never waits or fails on this.
 */
export async function lastKnownSizes(
  registry: Reader & Pick<RegistryClient, "headManifest">,
  nodes: readonly {
    name: string;
    repository: string;
    contentTag: string;
    platforms: readonly string[];
    aliasTags: readonly string[];
  }[],
): Promise<Map<string, LastKnownSize>> {
  const found = new Map<string, LastKnownSize>();
  await Promise.all(
    nodes.map(async (node) => {
      for (const tag of [node.contentTag, ...node.aliasTags.slice(0, 1)]) {
        const digest = await registry.headManifest(node.repository, tag).catch(() => undefined);
        if (!digest) continue;
        const sizes = await registrySizes(registry, { ...node, digest }).catch(() => ({}));
        const values = Object.values(sizes);
        if (values.length === 0) continue;
        const compressed = Math.max(...values.map((v) => v.compressed));
        found.set(node.name, { compressed, ref: `${node.repository}:${tag}` });
        return;
      }
    }),
  );
  return found;
}
