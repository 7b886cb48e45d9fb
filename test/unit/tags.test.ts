import { describe, expect, it } from "vitest";
import { tagPolicySchema } from "../../src/model/pipeline-schema.js";
import { computeTags, parseSemver, sanitizeBranch } from "../../src/plan/tags.js";

const policy = tagPolicySchema.parse({});
const sha = "3f2a9c1b7d4e0000000000000000000000000000";
const hash = "abcdef0123456789".repeat(4);
const tags = (git: object, extra: Partial<typeof policy> = {}, templates: string[] = []) =>
  computeTags({
    policy: { ...policy, ...extra },
    git,
    inputHash: hash,
    name: "img",
    date: "20261122",
    templates,
  });

describe("tag policy", () => {
  it("puts immutable tags first: sha, then content", () => {
    expect(tags({ sha, branch: "feature/x" })).toEqual({
      immutable: ["sha-3f2a9c1", "input-abcdef012345"],
      aliases: ["feature-x"],
    });
  });

  it("moves latest on the default branch only", () => {
    expect(tags({ sha, branch: "main" }).aliases).toEqual(["main", "latest"]);
    expect(tags({ sha, branch: "dev" }).aliases).toEqual(["dev"]);
    expect(tags({ sha, branch: "trunk" }, { defaultBranch: "trunk" }).aliases).toContain("latest");
  });

  it("tags a release like docker/metadata-action: version, minor, major, latest", () => {
    const t = tags({ sha, tag: "v1.2.3" });
    expect(t.immutable).toEqual(["sha-3f2a9c1", "input-abcdef012345", "1.2.3"]);
    expect(t.aliases).toEqual(["1.2", "1", "latest"]);
  });

  it("gives a 0.x release no bare major alias", () => {
    expect(tags({ sha, tag: "v0.4.1" }).aliases).toEqual(["0.4", "latest"]);
  });

  it("gives a prerelease only its exact version, no latest", () => {
    const t = tags({ sha, tag: "v2.0.0-rc.1" });
    expect(t.immutable).toContain("2.0.0-rc.1");
    expect(t.aliases).toEqual([]);
  });

  it("obeys latest: never / always", () => {
    expect(tags({ sha, branch: "main" }, { latest: "never" }).aliases).toEqual(["main"]);
    expect(tags({ sha, branch: "dev" }, { latest: "always" }).aliases).toContain("latest");
  });

  it("renders templates; pinned variables make immutable tags, others aliases", () => {
    const t = tags({ sha, branch: "main" }, { latest: "never" }, [
      "{{sha7}}-bookworm",
      "{{branch}}-nightly",
      "{{version}}",
    ]);
    expect(t.immutable).toContain("3f2a9c1-bookworm");
    expect(t.aliases).toContain("main-nightly");
    expect(t.immutable).not.toContain("");
  });

  it("has no sha tag without a commit and no content tag when disabled", () => {
    expect(tags({}, { content: false, latest: "never" })).toEqual({ immutable: [], aliases: [] });
  });

  it("sanitises branch names", () => {
    expect(sanitizeBranch("refs/heads/feat/JIRA-1 fix")).toBe("feat-JIRA-1-fix");
    expect(sanitizeBranch("-.weird")).toBe("weird");
    expect(sanitizeBranch("x".repeat(200))).toHaveLength(128);
  });

  it("parses semver with or without v", () => {
    expect(parseSemver("1.2.3")?.version).toBe("1.2.3");
    expect(parseSemver("v1.2")).toBeUndefined();
    expect(parseSemver("v1.2.3+build.5")?.version).toBe("1.2.3-build.5");
  });
});
