import { describe, expect, it } from "vitest";
import { cacheArgv, cacheRef, resolveCache } from "../../src/engine/docker/cache.js";

const remote = { pushesToRegistry: true, builder: "hilt-buildkit", driver: "remote" };
const dockerDriver = { pushesToRegistry: true, builder: "default", driver: "docker" };

describe("resolveCache", () => {
  it("unset: registry when pushing on a builder that exports caches", () => {
    expect(resolveCache(undefined, remote)).toEqual({ mode: "registry" });
  });

  it("unset on the docker driver: inline, and says so", () => {
    const decision = resolveCache(undefined, dockerDriver);
    expect(decision.mode).toBe("inline");
    expect(decision.note).toContain("docker driver");
    expect(decision.note).toContain("default");
  });

  it("unset without a registry: none, silently", () => {
    expect(resolveCache(undefined, { ...remote, pushesToRegistry: false })).toEqual({
      mode: "none",
    });
  });

  it("registry without a registry to push to: none, and says so", () => {
    const decision = resolveCache("registry", { ...remote, pushesToRegistry: false });
    expect(decision.mode).toBe("none");
    expect(decision.note).toContain("--push");
  });

  it.each(["none", "inline", "gha"] as const)("%s is kept as asked", (mode) => {
    expect(resolveCache(mode, remote)).toEqual({ mode });
  });
});

describe("cacheArgv", () => {
  const node = { repository: "127.0.0.1:5000/team/base", name: "base", noCache: false };

  it("registry: one cache ref per image, mode=max, read and written", () => {
    expect(cacheArgv("registry", node)).toEqual([
      "--cache-from",
      "type=registry,ref=127.0.0.1:5000/team/base:buildcache",
      "--cache-to",
      "type=registry,ref=127.0.0.1:5000/team/base:buildcache,mode=max",
    ]);
  });

  it("--no-cache still writes the cache, reads nothing", () => {
    expect(cacheArgv("registry", { ...node, noCache: true })).toEqual([
      "--cache-to",
      "type=registry,ref=127.0.0.1:5000/team/base:buildcache,mode=max",
    ]);
  });

  it("gha: scoped by image name", () => {
    expect(cacheArgv("gha", node)).toEqual([
      "--cache-from",
      "type=gha,scope=base",
      "--cache-to",
      "type=gha,scope=base,mode=max",
    ]);
  });

  it("inline: cache in the image; read from an earlier image when there is one", () => {
    expect(cacheArgv("inline", node)).toEqual(["--cache-to", "type=inline"]);
    expect(cacheArgv("inline", { ...node, inlineFrom: "127.0.0.1:5000/team/base:latest" })).toEqual(
      [
        "--cache-from",
        "type=registry,ref=127.0.0.1:5000/team/base:latest",
        "--cache-to",
        "type=inline",
      ],
    );
  });

  it("none: no flag", () => {
    expect(cacheArgv("none", node)).toEqual([]);
  });

  it("the cache ref keeps a registry port and drops nothing else", () => {
    expect(cacheRef("localhost:5000/a/b")).toBe("localhost:5000/a/b:buildcache");
    expect(cacheRef("ghcr.io/owner/img")).toBe("ghcr.io/owner/img:buildcache");
  });
});
