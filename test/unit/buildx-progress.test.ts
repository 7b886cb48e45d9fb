import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cacheUse, describeCacheUse } from "../../src/engine/docker/progress.js";

// Real `--progress plain` logs of an amd64+arm64 build on the remote BuildKit with
// --cache-from/--cache-to type=registry: the first (no cache ref yet), then the same again.
const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, "../fixtures/buildx", `${name}.stderr.txt`), "utf8");

describe("cacheUse", () => {
  it("a cold build: no step cached, the missing cache ref is no import", () => {
    expect(cacheUse(fixture("multiplatform-cold"))).toEqual({
      steps: 4,
      cached: 0,
      importedFrom: [],
    });
  });

  it("the rebuild: every step cached, the cache ref imported", () => {
    const use = cacheUse(fixture("multiplatform-warm"));
    expect(use).toEqual({
      steps: 4,
      cached: 4,
      importedFrom: ["127.0.0.1:5000/h12fixture/cap:buildcache"],
    });
    expect(describeCacheUse(use)).toBe(
      "4 of 4 steps from cache (imported 127.0.0.1:5000/h12fixture/cap:buildcache)",
    );
  });

  it("nothing to count in what is not a progress log", () => {
    expect(cacheUse("ERROR: failed to solve\n#x CACHED\n")).toEqual({
      steps: 0,
      cached: 0,
      importedFrom: [],
    });
  });
});

describe("cacheUse after the builder's cache was pruned", () => {
  it("steps whose layer came from the imported registry cache count as cached", () => {
    // Captured from Hilt's own build of a two-platform image after `docker buildx prune -af`:
    // amd64 shows CACHED, arm64 only the layer fetched from <repository>:buildcache.
    const log = fixture("multiplatform-registry-cache");
    expect(log).not.toMatch(/^#9 CACHED/m);
    expect(cacheUse(log)).toEqual({
      steps: 2,
      cached: 2,
      importedFrom: ["127.0.0.1:5000/h12dbg-12495/base:buildcache"],
    });
  });
});
