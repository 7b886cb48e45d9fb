import { describe, expect, it } from "vitest";
import { manifestLocation, resolveBaseDigests } from "../../src/app/base-digests.js";
import { HiltError } from "../../src/errors.js";

const DIGEST = `sha256:${"c".repeat(64)}`;

describe("base image digests", () => {
  it("finds where a ref's manifest lives, Docker Hub's short names included", () => {
    expect(manifestLocation("debian:bookworm-slim")).toEqual({
      host: "registry-1.docker.io",
      path: "library/debian",
      reference: "bookworm-slim",
    });
    expect(manifestLocation("127.0.0.1:5000/library/node")).toEqual({
      host: "127.0.0.1:5000",
      path: "library/node",
      reference: "latest",
    });
    expect(manifestLocation("owner/app:1")?.path).toBe("owner/app");
  });

  it("asks once per ref, and leaves refs it cannot resolve unpinned with the reason", async () => {
    const asked: string[] = [];
    const lookup = await resolveBaseDigests(
      ["a.example/x:1", "a.example/x:1", "b.example/y:2", "c.example/z:3"],
      {
        client: (host) => ({
          headManifest: async (repository: string, reference: string) => {
            asked.push(`${repository}:${reference}`);
            if (host === "b.example")
              throw new HiltError("REGISTRY_UNAVAILABLE", "no answer", { hint: "h" });
            return host === "a.example" ? DIGEST : undefined;
          },
        }),
      },
    );
    expect(asked.sort()).toEqual(["a.example/x:1", "b.example/y:2", "c.example/z:3"]);
    expect(lookup.digests).toEqual({
      "a.example/x:1": DIGEST,
      "b.example/y:2": null,
      "c.example/z:3": null,
    });
    expect(lookup.reasons["b.example/y:2"]).toMatch(/did not answer: REGISTRY_UNAVAILABLE/);
    expect(lookup.reasons["c.example/z:3"]).toMatch(/no such tag/);
  });

  it("asks nothing offline", async () => {
    const lookup = await resolveBaseDigests(["debian:12"], {
      offline: true,
      client: () => {
        throw new Error("must not be called");
      },
    });
    expect(lookup).toEqual({
      digests: { "debian:12": null },
      reasons: { "debian:12": "--offline" },
    });
  });
});
