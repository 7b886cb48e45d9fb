// Hostile inputs to planning (issue 10): catalog contexts, Dockerfiles and pipeline sources that
// lead out of the repository through symbolic links are refused with PATH_OUTSIDE_ROOT (exit 2)
// before anything is read or walked; a FIFO inside a context never hangs the context digest.
import { symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hilt } from "../helpers/cli.js";
import { box, expectFailure, snapshot } from "./cli-contract.js";

const APP = (extra: string) =>
  `schemaVersion: 1\nimages:\n  app:\n    from: debian:bookworm-slim\n${extra}`;

describe("plan inputs that lead outside the repository", () => {
  it("a catalog context linked to / is refused without walking the filesystem", () => {
    const b = box({
      "catalog.yaml": APP("    context: ctx\n    steps:\n      - copy: {src: ., dest: /x}\n"),
    });
    symlinkSync("/", path.join(b.repo, "ctx"));
    const { doc } = expectFailure(b, ["plan", "--json", "--offline"], {
      exit: 2,
      code: "PATH_OUTSIDE_ROOT",
    });
    expect(doc.error.message).toContain("images.app.context");
  });

  it("a catalog context linked to a sibling folder is refused", () => {
    const b = box({
      "catalog.yaml": APP("    context: ctx\n    steps:\n      - copy: {src: ., dest: /x}\n"),
      "../outside/secret.txt": "s3cr3t-context",
    });
    symlinkSync(path.join(b.root, "outside"), path.join(b.repo, "ctx"));
    expectFailure(b, ["plan", "--json", "--offline"], {
      exit: 2,
      code: "PATH_OUTSIDE_ROOT",
      secrets: ["s3cr3t-context"],
    });
  });

  it("a Dockerfile linked outside is refused and its text never printed", () => {
    const b = box({
      "catalog.yaml": APP("    dockerfile: docker/Dockerfile\n    context: .\n"),
      "../outside/Dockerfile": "FROM s3cr3t-dockerfile\n",
    });
    b.dir("docker");
    symlinkSync(path.join(b.root, "outside/Dockerfile"), path.join(b.repo, "docker/Dockerfile"));
    const { doc } = expectFailure(b, ["plan", "--json", "--offline"], {
      exit: 2,
      code: "PATH_OUTSIDE_ROOT",
      secrets: ["s3cr3t-dockerfile"],
    });
    expect(doc.error.message).toContain("images.app.dockerfile");
  });

  it("a pipeline source linked outside is refused", () => {
    const b = box({
      "catalog.yaml": APP(""),
      "pipelines/default.yaml": "schemaVersion: 1\nsources:\n  - path: svc\n",
      "../outside/package.json": '{"name":"s3cr3t-source"}',
    });
    symlinkSync(path.join(b.root, "outside"), path.join(b.repo, "svc"));
    const { doc } = expectFailure(b, ["plan", "--json", "--offline"], {
      exit: 2,
      code: "PATH_OUTSIDE_ROOT",
      secrets: ["s3cr3t-source"],
    });
    expect(doc.error.message).toContain("sources[0].path");
  });
});

describe("contexts holding special files", () => {
  it("a FIFO in a context is hashed by type: the plan finishes and writes nothing", () => {
    const b = box({
      "catalog.yaml": APP("    context: ctx\n    steps:\n      - copy: {src: ., dest: /x}\n"),
      "ctx/a.txt": "a",
    });
    b.fifo("ctx/pipe");
    const before = snapshot(b);
    const result = hilt(["plan", "--json", "--offline"], { cwd: b.repo, env: b.env });
    expect(result.status, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.kind).toBe("hilt.plan");
    expect(plan.nodes[0].inputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshot(b)).toEqual(before);
  });
});
