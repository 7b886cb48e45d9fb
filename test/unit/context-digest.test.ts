import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ContextHasher, contextDigest, dockerignoreFor } from "../../src/fs/context-digest.js";
import { tempRepo } from "../helpers/cli.js";

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/context");
const tree = JSON.parse(readFileSync(path.join(FIXTURE, "tree.json"), "utf8")) as {
  dockerignore: string;
  files: string[];
};

function fixtureRepo(): string {
  return realpathSync(
    tempRepo({
      ...Object.fromEntries(tree.files.map((f) => [f, f])),
      ".dockerignore": tree.dockerignore,
    }),
  );
}

/** A path and every folder above it, as BuildKit's context listing shows them. */
function withFolders(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split("/");
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join("/"));
  }
  return [...out].sort();
}

describe("context digest", () => {
  it("selects exactly the paths BuildKit sent for the captured fixture", () => {
    const repo = fixtureRepo();
    const captured = readFileSync(path.join(FIXTURE, "buildkit-paths.txt"), "utf8")
      .trim()
      .split("\n");
    const ours = new ContextHasher().paths(repo, tree.dockerignore);
    expect(withFolders(ours)).toEqual([...captured].sort());
  });

  it("sees a file re-included inside an ignored folder", () => {
    const repo = fixtureRepo();
    const before = contextDigest(repo);
    writeFileSync(path.join(repo, "dist/keep.txt"), "changed");
    expect(contextDigest(repo)).not.toBe(before);
    const again = contextDigest(repo);
    writeFileSync(path.join(repo, "dist/bundle.js"), "ignored change");
    expect(contextDigest(repo)).toBe(again);
  });

  it("counts .git and node_modules, which BuildKit sends unless ignored", () => {
    const repo = fixtureRepo();
    const before = contextDigest(repo);
    writeFileSync(path.join(repo, ".git/HEAD"), "ref: refs/heads/other");
    const afterGit = contextDigest(repo);
    expect(afterGit).not.toBe(before);
    writeFileSync(path.join(repo, "node_modules/left-pad/index.js"), "x");
    expect(contextDigest(repo)).not.toBe(afterGit);
  });

  it("hashes a symlink by its target and never follows it", () => {
    const outside = tempRepo({ "secret.txt": "one" });
    const repo = tempRepo({ "a.txt": "a" });
    symlinkSync(path.join(outside, "secret.txt"), path.join(repo, "link"));
    const before = contextDigest(repo);
    writeFileSync(path.join(outside, "secret.txt"), "two");
    expect(contextDigest(repo)).toBe(before);
  });

  it("hashes permission bits", () => {
    const repo = tempRepo({ "run.sh": "echo" });
    const before = contextDigest(repo);
    chmodSync(path.join(repo, "run.sh"), 0o755);
    expect(contextDigest(repo)).not.toBe(before);
  });

  it("does not hang on a FIFO and counts it as a FIFO, as BuildKit sends it", () => {
    const repo = tempRepo({ "a.txt": "a" });
    const before = contextDigest(repo);
    execFileSync("mkfifo", [path.join(repo, "pipe")]);
    expect(contextDigest(repo)).not.toBe(before);
  });

  it("prefers <Dockerfile>.dockerignore beside the Dockerfile, as BuildKit does", () => {
    const repo = tempRepo({
      ".dockerignore": "a.txt\n",
      "docker/app.Dockerfile": "FROM scratch\n",
      "docker/app.Dockerfile.dockerignore": "b.txt\n",
      "a.txt": "a",
      "b.txt": "b",
    });
    expect(dockerignoreFor(repo, path.join(repo, "docker/app.Dockerfile"))).toBe("b.txt\n");
    expect(dockerignoreFor(repo, path.join(repo, "docker/other.Dockerfile"))).toBe("a.txt\n");
  });

  it("hashes each file once per run when contexts overlap", () => {
    const repo = tempRepo({ "a/x.txt": "x", "a/y.txt": "y", "b.txt": "b" });
    const hasher = new ContextHasher();
    hasher.digest(repo, "");
    hasher.digest(path.join(repo, "a"), "");
    hasher.digest(repo, "b.txt\n");
    expect(hasher.filesHashed).toBe(3);
  });
});

describe("a .dockerignore that is a link", () => {
  it("leading out of the context is refused, never read", async () => {
    const { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { dockerignoreFor } = await import("../../src/fs/context-digest.js");
    const box = mkdtempSync(join(tmpdir(), "hilt-ignore-link-"));
    try {
      mkdirSync(join(box, "repo"));
      writeFileSync(join(box, "outside-secret"), "top-secret-pattern\n");
      symlinkSync(join(box, "outside-secret"), join(box, "repo/.dockerignore"));
      expect(() => dockerignoreFor(join(box, "repo"))).toThrow(/leads outside/);
    } finally {
      rmSync(box, { recursive: true, force: true });
    }
  });
});
