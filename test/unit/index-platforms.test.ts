import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkBasePlatforms } from "../../src/app/base-platforms.js";
import { producedPlatforms } from "../../src/engine/produced-platforms.js";
import { HiltError } from "../../src/errors.js";
import type { Manifest } from "../../src/registry/client.js";
import { indexPlatforms, missingPlatforms } from "../../src/registry/platforms.js";
import { planOf } from "../helpers/catalog.js";

// Real registry answers: the amd64+arm64 debian index test/env/up.sh makes (a Docker manifest
// list), an OCI index BuildKit pushed with its default provenance attestations, and a
// single-platform Docker manifest.
const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, "../fixtures/registry", `${name}.json`));

const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

describe("indexPlatforms", () => {
  it("a Docker manifest list", () => {
    const body = fixture("index-docker-amd64-arm64");
    expect(indexPlatforms({ mediaType: DOCKER_LIST, body })).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
  });

  it("an OCI index: attestation manifests (unknown/unknown) are not platforms", () => {
    const body = fixture("index-oci-with-attestations");
    expect(indexPlatforms({ mediaType: OCI_INDEX, body })).toEqual(["linux/amd64", "linux/arm64"]);
  });

  it("a single manifest has no index platforms", () => {
    const body = fixture("manifest-docker-single");
    expect(indexPlatforms({ mediaType: DOCKER_MANIFEST, body })).toBeUndefined();
  });

  it("variants are kept, except arm64's default v8", () => {
    const body = JSON.stringify({
      mediaType: OCI_INDEX,
      manifests: [
        { platform: { os: "linux", architecture: "arm", variant: "v7" } },
        { platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      ],
    });
    expect(indexPlatforms({ mediaType: OCI_INDEX, body })).toEqual(["linux/arm/v7", "linux/arm64"]);
  });

  it("what is not JSON, or not a manifest, is no index", () => {
    expect(indexPlatforms({ mediaType: OCI_INDEX, body: "<html>" })).toBeUndefined();
    expect(indexPlatforms({ mediaType: OCI_INDEX, body: "[]" })).toBeUndefined();
    expect(indexPlatforms({ mediaType: OCI_INDEX, body: '{"manifests": 3}' })).toBeUndefined();
  });

  it("missingPlatforms compares arm64/v8 as arm64", () => {
    expect(missingPlatforms(["linux/amd64", "linux/arm64/v8"], ["linux/arm64"])).toEqual([
      "linux/amd64",
    ]);
  });
});

describe("checkBasePlatforms", () => {
  const catalog = `schemaVersion: 1
images:
  base:
    from: "127.0.0.1:5000/multiarch/debian:bookworm-slim"
  leaf:
    from: base
  single:
    from: "127.0.0.1:5000/library/debian:bookworm-slim"
`;
  const digests = {
    "127.0.0.1:5000/multiarch/debian:bookworm-slim": `sha256:${"a".repeat(64)}`,
    "127.0.0.1:5000/library/debian:bookworm-slim": `sha256:${"b".repeat(64)}`,
  };
  const manifests: Record<string, Manifest> = {
    [`127.0.0.1:5000/multiarch/debian@${digests["127.0.0.1:5000/multiarch/debian:bookworm-slim"]}`]:
      { digest: "", mediaType: DOCKER_LIST, body: fixture("index-docker-amd64-arm64") },
    [`127.0.0.1:5000/library/debian@${digests["127.0.0.1:5000/library/debian:bookworm-slim"]}`]: {
      digest: "",
      mediaType: DOCKER_MANIFEST,
      body: fixture("manifest-docker-single"),
    },
  };
  const asked: string[] = [];
  const clientFor = () => ({
    getManifest: async (repository: string, reference: string) => {
      asked.push(`${repository}@${reference}`);
      return manifests[`${repository}@${reference}`];
    },
  });

  async function refusal(promise: Promise<unknown>): Promise<HiltError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof HiltError) return error;
      throw error;
    }
    throw new Error("expected a refusal");
  }

  it("an index with every platform asked passes; the pinned digest is what is read", async () => {
    const graph = planOf(catalog, {
      targets: ["leaf"],
      platforms: ["linux/amd64", "linux/arm64"],
      baseDigests: digests,
    });
    asked.length = 0;
    await expect(checkBasePlatforms(graph.nodes, { clientFor })).resolves.toEqual({
      unchecked: {},
    });
    expect(asked).toEqual([
      `127.0.0.1:5000/multiarch/debian@${digests["127.0.0.1:5000/multiarch/debian:bookworm-slim"]}`,
    ]);
  });

  it("a platform the base index lacks is refused (exit 2), children included, with the reason", async () => {
    const graph = planOf(catalog, {
      targets: ["leaf"],
      platforms: ["linux/amd64", "linux/s390x"],
      baseDigests: digests,
    });
    const error = await refusal(checkBasePlatforms(graph.nodes, { clientFor }));
    expect(error.code).toBe("PLATFORM_UNSUPPORTED");
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(
      "base: its base 127.0.0.1:5000/multiarch/debian:bookworm-slim has no linux/s390x (it has linux/amd64, linux/arm64)",
    );
    expect(error.message).toContain("leaf: built from base, which cannot be built");
    expect(error.hint).toContain("--platform");
  });

  it("a single-platform base cannot give two platforms", async () => {
    const graph = planOf(catalog, {
      targets: ["single"],
      platforms: ["linux/amd64", "linux/arm64"],
      baseDigests: digests,
    });
    const error = await refusal(checkBasePlatforms(graph.nodes, { clientFor }));
    expect(error.message).toContain("single-platform image");
  });

  it("a single-platform base for one platform is not refused", async () => {
    const graph = planOf(catalog, {
      targets: ["single"],
      platforms: ["linux/amd64"],
      baseDigests: digests,
    });
    await expect(checkBasePlatforms(graph.nodes, { clientFor })).resolves.toEqual({
      unchecked: {},
    });
  });

  it("unpinned bases are not looked up; a silent registry leaves the base unchecked", async () => {
    const unpinned = planOf(catalog, { platforms: ["linux/amd64", "linux/s390x"] });
    asked.length = 0;
    await checkBasePlatforms(unpinned.nodes, { clientFor });
    expect(asked).toEqual([]);
    const pinned = planOf(catalog, {
      targets: ["leaf"],
      platforms: ["linux/amd64", "linux/s390x"],
      baseDigests: digests,
    });
    const failing = () => ({
      getManifest: async () => {
        throw new HiltError("REGISTRY_TIMEOUT", "silent");
      },
    });
    const { unchecked } = await checkBasePlatforms(pinned.nodes, { clientFor: failing });
    expect(Object.values(unchecked)).toEqual(["127.0.0.1:5000 did not answer: REGISTRY_TIMEOUT"]);
  });
});

describe("producedPlatforms", () => {
  const image = {
    name: "leaf",
    repository: "127.0.0.1:5000/ns/leaf",
    digest: `sha256:${"c".repeat(64)}`,
    platforms: ["linux/amd64", "linux/arm64"],
  };
  const answering = (manifest: Manifest | undefined) => ({ getManifest: async () => manifest });

  it("an index with both platforms: both, read from the registry", async () => {
    const registry = answering({
      digest: image.digest,
      mediaType: OCI_INDEX,
      body: fixture("index-oci-with-attestations"),
    });
    await expect(producedPlatforms(registry, image)).resolves.toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
  });

  it("an index lacking one is PLATFORM_MISSING (a build failure), naming it", async () => {
    const body = JSON.stringify({
      mediaType: OCI_INDEX,
      manifests: [{ platform: { os: "linux", architecture: "amd64" } }],
    });
    const registry = answering({
      digest: image.digest,
      mediaType: OCI_INDEX,
      body: Buffer.from(body),
    });
    const error = await producedPlatforms(registry, image).catch((e: HiltError) => e);
    expect(error).toBeInstanceOf(HiltError);
    expect((error as HiltError).code).toBe("PLATFORM_MISSING");
    expect((error as HiltError).exitCode).toBe(1);
    expect((error as HiltError).message).toContain("has no linux/arm64 (it has linux/amd64)");
  });

  it("a single manifest is the one platform asked, and not two", async () => {
    const single = answering({
      digest: image.digest,
      mediaType: DOCKER_MANIFEST,
      body: fixture("manifest-docker-single"),
    });
    await expect(
      producedPlatforms(single, { ...image, platforms: ["linux/amd64"] }),
    ).resolves.toEqual(["linux/amd64"]);
    const error = await producedPlatforms(single, image).catch((e: HiltError) => e);
    expect((error as HiltError).code).toBe("PLATFORM_MISSING");
  });

  it("no manifest after the push is PLATFORM_MISSING", async () => {
    const error = await producedPlatforms(answering(undefined), image).catch((e: HiltError) => e);
    expect((error as HiltError).code).toBe("PLATFORM_MISSING");
  });
});
