import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { hilt, tempRepo } from "../helpers/cli.js";

const catalog = "schemaVersion: 1\nimages:\n  app:\n    from: debian:bookworm-slim\n";

describe("an engine that is not there", () => {
  it("dagger: fails at once with a code, a hint and a valid result document", () => {
    const cwd = tempRepo({ "catalog.yaml": catalog });
    const run = hilt(["build-all", "--engine", "dagger", "--json"], {
      cwd,
      env: { PATH: "/usr/bin:/bin" },
    });
    expect(run.status).toBe(4);
    const result = resultSchema.parse(JSON.parse(run.stdout));
    expect(result.error).toMatchObject({ code: "ENGINE_UNAVAILABLE" });
    expect(result.error?.hint).toMatch(/HILT_DAGGER_BIN/);
  });

  it("dagger: a CLI with no engine behind it is exit 4 with JSON, not a stack trace", () => {
    const cwd = tempRepo({ "catalog.yaml": catalog });
    const cli = path.join(cwd, "fake-dagger");
    writeFileSync(
      cli,
      "#!/bin/sh\necho 'failed to connect to engine: dial unix: no such file' >&2\nexit 1\n",
    );
    chmodSync(cli, 0o755);
    const run = hilt(["build-all", "--engine", "dagger", "--json"], {
      cwd,
      env: { PATH: "/usr/bin:/bin", HILT_DAGGER_BIN: cli },
    });
    expect(run.status).toBe(4);
    const result = resultSchema.parse(JSON.parse(run.stdout));
    expect(result.error).toMatchObject({ code: "ENGINE_UNAVAILABLE" });
    expect(result.error?.message).toContain("failed to connect to engine");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("auto: a dagger CLI whose engine does not answer is not chosen (docker runs instead)", () => {
    const cwd = tempRepo({ "catalog.yaml": catalog });
    const cli = path.join(cwd, "fake-dagger");
    writeFileSync(cli, "#!/bin/sh\nexit 1\n");
    chmodSync(cli, 0o755);
    const run = hilt(["build-all", "--engine", "auto", "--json"], {
      cwd,
      env: { HILT_DAGGER_BIN: cli, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    });
    expect(run.status).toBe(4);
    const doc = JSON.parse(run.stdout);
    expect(doc.error.code).toBe("ENGINE_UNAVAILABLE");
    // The docker backend's words: auto fell back to docker after the probe.
    expect(doc.error.message).toMatch(/Docker daemon/);
  });

  it("docker: a daemon that cannot be reached is exit code 4, not a hang", () => {
    const cwd = tempRepo({ "catalog.yaml": catalog });
    const run = hilt(["build-all", "--engine", "docker", "--json"], {
      cwd,
      env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    });
    expect(run.status).toBe(4);
    expect(JSON.parse(run.stdout).error.code).toBe("ENGINE_UNAVAILABLE");
  });

  it("a registry that is not there is exit code 5 with the host named", () => {
    const cwd = tempRepo({ "catalog.yaml": catalog });
    const run = hilt(
      ["build-all", "--engine", "docker", "--json", "--push", "127.0.0.1:9/nowhere"],
      { cwd },
    );
    expect(run.status).toBe(5);
    const doc = JSON.parse(run.stdout);
    expect(doc.error.code).toBe("REGISTRY_UNAVAILABLE");
    expect(doc.error.message).toContain("127.0.0.1:9");
  });
});
