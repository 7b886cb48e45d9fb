import { describe, expect, it } from "vitest";
import { HiltError } from "../../src/errors.js";
import { parsePushTarget, refsFor } from "../../src/plan/targets.js";

const runId = "0b3f3c1e-8d6f-4f7b-9a51-2f6f0a0c9e11";
const tags = { immutable: ["sha-1234567"], aliases: ["latest"] };

describe("push targets", () => {
  it("follows ttl.sh's convention: name-uuid, the ttl as the only tag", () => {
    const target = parsePushTarget("ttl.sh", { runId });
    expect(refsFor(target, "core-base", tags)).toEqual({
      immutable: [`ttl.sh/core-base-${runId}:1h`],
      aliases: [],
    });
    expect(
      refsFor(parsePushTarget("ttl.sh", { runId, ttl: "30m" }), "x", tags).immutable[0],
    ).toMatch(/:30m$/);
  });

  it("refuses a ttl over 24h", () => {
    expect(() => parsePushTarget("ttl.sh", { runId, ttl: "2d" })).toThrow(
      /longer than ttl.sh keeps/,
    );
  });

  it("lowercases the GHCR owner from the environment", () => {
    const target = parsePushTarget("ghcr", {
      runId,
      env: { GITHUB_REPOSITORY_OWNER: "Acme-Corp" },
    });
    expect(refsFor(target, "app", tags).immutable).toEqual(["ghcr.io/acme-corp/app:sha-1234567"]);
    expect(refsFor(parsePushTarget("ghcr.io/Someone", { runId }), "app", tags).aliases).toEqual([
      "ghcr.io/someone/app:latest",
    ]);
  });

  it("needs a GHCR owner", () => {
    try {
      parsePushTarget("ghcr", { runId, env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HiltError);
      expect((error as HiltError).code).toBe("INVALID_PUSH_TARGET");
      expect((error as HiltError).hint).toMatch(/GITHUB_REPOSITORY_OWNER/);
    }
  });

  it("takes any host[:port]/namespace", () => {
    expect(
      refsFor(parsePushTarget("127.0.0.1:5000/team/x", { runId }), "app", tags).immutable,
    ).toEqual(["127.0.0.1:5000/team/x/app:sha-1234567"]);
    expect(
      refsFor(parsePushTarget("registry.example.com", { runId }), "app", tags).immutable[0],
    ).toBe("registry.example.com/app:sha-1234567");
  });

  it.each(["nohost", "ghcr.io/bad owner", "registry.example.com/Team", "http://x.io/a"])(
    "rejects %s",
    (value) => {
      expect(() => parsePushTarget(value, { runId })).toThrow(HiltError);
    },
  );

  it("keeps images local without a push target", () => {
    expect(refsFor(parsePushTarget("none", { runId }), "app", tags).immutable).toEqual([
      "hilt.local/app:sha-1234567",
    ]);
  });
});
