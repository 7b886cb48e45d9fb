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
