import { HiltError } from "../errors.js";
import type { RegistryClient } from "../registry/client.js";
import { indexPlatforms, missingPlatforms } from "../registry/platforms.js";

/**
 * The platforms a pushed image really holds, read back from the registry: an index's entries,
 * or the one asked-for platform of a single manifest. A platform asked for and missing fails
 * the image (PLATFORM_MISSING) before any alias moves to it.
 */
export async function producedPlatforms(
  registry: Pick<RegistryClient, "getManifest">,
  image: { name: string; repository: string; digest: string; platforms: readonly string[] },
): Promise<string[]> {
  const manifest = await registry.getManifest(image.repository, image.digest);
  if (!manifest)
    throw new HiltError(
      "PLATFORM_MISSING",
      `${image.name}: the registry has no manifest ${image.digest} right after the push`,
      { hint: "check the registry (a proxy or cache in front of it may drop pushes)" },
    );
  const present = indexPlatforms(manifest);
  if (!present) {
    if (image.platforms.length <= 1) return [...image.platforms];
    throw new HiltError(
      "PLATFORM_MISSING",
      `${image.name}: pushed one single-platform manifest, not an index of ${image.platforms.join(", ")}`,
      { hint: "build on a builder that exports multi-platform images (--builder)" },
    );
  }
  const missing = missingPlatforms(image.platforms, present);
  if (missing.length > 0)
    throw new HiltError(
      "PLATFORM_MISSING",
      `${image.name}: the pushed index ${image.digest} has no ${missing.join(", ")} (it has ${present.join(", ") || "no platform"})`,
      { hint: "the builder dropped a platform: check its platforms with `docker buildx ls`" },
    );
  return present;
}
