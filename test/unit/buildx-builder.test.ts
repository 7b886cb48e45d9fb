import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BuilderInfo,
  type BuilderNeeds,
  chooseBuilder,
  discoverBuilder,
  parseBuildxLs,
} from "../../src/engine/docker/builder.js";
import { HiltError } from "../../src/errors.js";
import { hilt, tempRepo } from "../helpers/cli.js";

// Real `docker buildx ls` output (buildx 0.13.1): the host's remote BuildKit and the default
// docker driver; with an extra docker-container builder never started; with a remote builder
// whose socket does not exist.
const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, "../fixtures/buildx", `${name}.txt`), "utf8");

const BOTH = ["linux/amd64", "linux/arm64"];

function refusal(builders: BuilderInfo[], needs: BuilderNeeds): HiltError {
  try {
    chooseBuilder(builders, needs);
  } catch (error) {
    if (error instanceof HiltError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("parseBuildxLs on captured output", () => {
  it("reads builders, drivers, the current one, node status and platforms", () => {
    const builders = parseBuildxLs(fixture("ls-default-current"));
    expect(builders).toEqual([
      {
        name: "hilt-buildkit",
        driver: "remote",
        current: false,
        nodes: [
          {
            name: "hilt-buildkit0",
            status: "running",
            platforms: ["linux/amd64", "linux/arm64", "linux/amd64/v2", "linux/amd64/v3"],
          },
        ],
      },
      {
        name: "default",
        driver: "docker",
        current: true,
        nodes: [
          {
            name: "default",
            status: "running",
            platforms: [
              "linux/amd64",
              "linux/amd64/v2",
              "linux/amd64/v3",
              "linux/386",
              "linux/arm64",
            ],
          },
        ],
      },
    ]);
  });

  it("an inactive node has a status and no platforms", () => {
    const builders = parseBuildxLs(fixture("ls-inactive-container"));
    const inactive = builders.find((b) => b.name === "hilt-fixture-inactive");
    expect(inactive).toEqual({
      name: "hilt-fixture-inactive",
      driver: "docker-container",
      current: false,
      nodes: [{ name: "hilt-fixture-inactive0", status: "inactive", platforms: [] }],
    });
    expect(builders.map((b) => b.name)).toEqual([
      "hilt-buildkit",
      "hilt-fixture-inactive",
      "default",
    ]);
  });

  it("no table, no builders", () => {
    expect(parseBuildxLs("")).toEqual([]);
    expect(parseBuildxLs("ERROR: something went wrong\n")).toEqual([]);
  });
});

describe("chooseBuilder", () => {
  const here = parseBuildxLs(fixture("ls-default-current"));
  const down = parseBuildxLs(fixture("ls-remote-down"));
  const defaultOnly = here.filter((b) => b.driver === "docker");

  it("one native platform without an exported cache: the current (docker) builder", () => {
    const choice = chooseBuilder(here, { platforms: ["linux/amd64"], exportedCache: false });
    expect(choice).toMatchObject({ name: "default", driver: "docker" });
    expect(choice.reason).toBe("the current builder");
  });

  it("two platforms: the running remote builder that lists both, and why", () => {
    const choice = chooseBuilder(here, { platforms: BOTH, exportedCache: false });
    expect(choice).toMatchObject({ name: "hilt-buildkit", driver: "remote" });
    expect(choice.reason).toContain("linux/amd64 + linux/arm64");
    expect(choice.reason).toContain("default (docker driver)");
  });

  it("a registry cache alone also needs a builder that is not on the docker driver", () => {
    const choice = chooseBuilder(here, { platforms: ["linux/amd64"], exportedCache: true });
    expect(choice.name).toBe("hilt-buildkit");
  });

  it("linux/arm64/v8 is linux/arm64", () => {
    const choice = chooseBuilder(here, {
      platforms: ["linux/amd64", "linux/arm64/v8"],
      exportedCache: false,
    });
    expect(choice.name).toBe("hilt-buildkit");
  });

  it("BUILDX_BUILDER stands for the current builder", () => {
    const choice = chooseBuilder(here, {
      platforms: ["linux/amd64"],
      exportedCache: false,
      buildxBuilder: "hilt-buildkit",
    });
    expect(choice).toMatchObject({ name: "hilt-buildkit", reason: "the current builder" });
  });

  it("a builder that is not running is not picked", () => {
    const onlyDown = down.filter((b) => b.name !== "hilt-buildkit");
    const error = refusal(onlyDown, { platforms: BOTH, exportedCache: false });
    expect(error.code).toBe("PLATFORM_UNSUPPORTED");
    expect(error.exitCode).toBe(2);
  });

  it("refuses before building when no builder can, naming the platforms and how to get one", () => {
    const error = refusal(defaultOnly, { platforms: BOTH, exportedCache: false });
    expect(error.code).toBe("PLATFORM_UNSUPPORTED");
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("linux/amd64 + linux/arm64");
    expect(error.message).toContain("docker driver");
    expect(error.hint).toContain("docker buildx create");
    expect(error.hint).toContain("--driver remote");
    expect(error.hint).toContain("QEMU");
  });

  it("refusing a registry cache suggests cache: inline", () => {
    const error = refusal(defaultOnly, { platforms: ["linux/amd64"], exportedCache: true });
    expect(error.message).toContain("an exported layer cache");
    expect(error.hint).toContain("cache: inline");
  });

  it("a platform no builder lists is refused", () => {
    const error = refusal(here, {
      platforms: ["linux/amd64", "linux/s390x"],
      exportedCache: false,
    });
    expect(error.code).toBe("PLATFORM_UNSUPPORTED");
  });

  describe("an explicit builder wins", () => {
    it("--builder names one that is used even when the current one would do", () => {
      const choice = chooseBuilder(here, {
        platforms: ["linux/amd64"],
        exportedCache: false,
        requested: { name: "hilt-buildkit", source: "--builder" },
      });
      expect(choice).toEqual({
        name: "hilt-buildkit",
        driver: "remote",
        platforms: ["linux/amd64", "linux/arm64", "linux/amd64/v2", "linux/amd64/v3"],
        reason: "named by --builder",
      });
    });

    it("an unknown name is BUILDER_NOT_FOUND (exit 2), listing the builders there are", () => {
      const error = refusal(here, {
        platforms: ["linux/amd64"],
        exportedCache: false,
        requested: { name: "nope", source: "HILT_BUILDER" },
      });
      expect(error.code).toBe("BUILDER_NOT_FOUND");
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain("HILT_BUILDER");
      expect(error.hint).toContain("hilt-buildkit, default");
    });

    it("a docker-driver builder asked for two platforms is refused with the reason", () => {
      const error = refusal(here, {
        platforms: BOTH,
        exportedCache: false,
        requested: { name: "default", source: "pipeline" },
      });
      expect(error.code).toBe("PLATFORM_UNSUPPORTED");
      expect(error.message).toContain("docker driver");
      expect(error.message).toContain("(from pipeline)");
    });

    it("a running builder that lacks a platform is refused", () => {
      const error = refusal(here, {
        platforms: ["linux/amd64", "linux/riscv64"],
        exportedCache: false,
        requested: { name: "hilt-buildkit", source: "--builder" },
      });
      expect(error.message).toContain("cannot build linux/riscv64");
    });

    it("an inactive builder is taken at its word: it starts on the first build", () => {
      const inactive = parseBuildxLs(fixture("ls-inactive-container"));
      const choice = chooseBuilder(inactive, {
        platforms: BOTH,
        exportedCache: true,
        requested: { name: "hilt-fixture-inactive", source: "--builder" },
      });
      expect(choice).toMatchObject({ name: "hilt-fixture-inactive", driver: "docker-container" });
    });
  });
});

describe("discoverBuilder", () => {
  const answer = (exitCode: number, stdout: string) => async (args: string[]) => {
    expect(args).toEqual(["buildx", "ls"]);
    return { exitCode, stdout, stderr: "" };
  };

  it("chooses from what `docker buildx ls` printed", async () => {
    const choice = await discoverBuilder(answer(0, fixture("ls-default-current")), {
      platforms: BOTH,
      exportedCache: false,
    });
    expect(choice?.name).toBe("hilt-buildkit");
  });

  it("a failing `buildx ls` leaves a simple build on the current builder", async () => {
    const needs = { platforms: ["linux/amd64"], exportedCache: false };
    await expect(discoverBuilder(answer(1, ""), needs)).resolves.toBeUndefined();
  });

  it("…and refuses what needs another builder", async () => {
    await expect(
      discoverBuilder(answer(1, ""), { platforms: BOTH, exportedCache: false }),
    ).rejects.toMatchObject({ code: "PLATFORM_UNSUPPORTED" });
  });

  it("a `buildx ls` that hangs is stopped and is ENGINE_UNAVAILABLE (exit 4), not a hang", async () => {
    let signal: AbortSignal | undefined;
    const hang = (_: string[], extra: { signal: AbortSignal }) => {
      signal = extra.signal;
      // Like exec: the child ends once the signal aborts it.
      return new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve) =>
        extra.signal.addEventListener("abort", () =>
          resolve({ exitCode: null, stdout: "", stderr: "" }),
        ),
      );
    };
    const error = await discoverBuilder(
      hang,
      { platforms: ["linux/amd64"], exportedCache: false },
      50,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HiltError);
    expect(error).toMatchObject({ code: "ENGINE_UNAVAILABLE", exitCode: 4 });
    expect((error as HiltError).message).toMatch(/docker buildx ls did not answer within/);
    expect(signal?.aborted).toBe(true);
  });
});

describe("--dry-run shows the builder and the cache flags a run would use", () => {
  /** A `docker` that prints a real `buildx ls` listing, and answers nothing else. */
  function dockerListing(listing: string): string {
    const dir = tempRepo({ "ls.txt": fixture(listing) });
    writeFileSync(
      path.join(dir, "docker"),
      `#!/bin/sh\n[ "$1 $2" = "buildx ls" ] && exec cat "${dir}/ls.txt"\nexit 1\n`,
      { mode: 0o755 },
    );
    return `${dir}:${process.env.PATH ?? ""}`;
  }
  const catalog = {
    "catalog.yaml":
      'schemaVersion: 1\nimages:\n  base: { from: debian:bookworm-slim, steps: [{ run: "true" }] }\n',
  };

  it("amd64+arm64 pushed: the remote BuildKit builder and its registry cache", {
    timeout: 120_000,
  }, () => {
    const repo = tempRepo(catalog);
    const result = hilt(
      [
        "build",
        "base",
        "--dry-run",
        "--json",
        "--offline",
        "--push",
        "127.0.0.1:5000/t",
        "--platform",
        BOTH.join(","),
      ],
      { cwd: repo, env: { PATH: dockerListing("ls-default-current") } },
    );
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.setup).toMatchObject({ builder: { name: "hilt-buildkit" }, cache: "registry" });
    const argv = doc.commands[0].join(" ");
    expect(argv).toContain("--builder hilt-buildkit");
    expect(argv).toContain(
      "--cache-to type=registry,ref=127.0.0.1:5000/t/base:buildcache,mode=max",
    );
  });

  it("a refused setup is a note, and the dry run still succeeds", { timeout: 120_000 }, () => {
    const repo = tempRepo(catalog);
    const result = hilt(
      [
        "build",
        "base",
        "--dry-run",
        "--offline",
        "--push",
        "127.0.0.1:5000/t",
        "--builder",
        "nope",
      ],
      { cwd: repo, env: { PATH: dockerListing("ls-default-current") } },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^note: [A-Z_]+: .*nope/m);
    expect(result.stdout).toMatch(/^cache: /m);
  });
});
