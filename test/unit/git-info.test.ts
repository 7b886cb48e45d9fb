import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readGitInfo } from "../../src/host/git.js";
import { tempRepo } from "../helpers/cli.js";

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

function repoWithCommit(): string {
  const repo = tempRepo({ "a.txt": "a\n" });
  git(repo, "init", "-q", "-b", "feature/x");
  git(repo, "add", ".");
  git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one");
  git(repo, "remote", "add", "origin", "https://example.com/acme/app.git");
  return repo;
}

describe("readGitInfo (two git processes)", () => {
  it("reads the commit, its time, the branch, a tag at HEAD and the remote", async () => {
    const repo = repoWithCommit();
    git(repo, "tag", "v1.2.0");
    const info = await readGitInfo(repo, {});
    expect(info).toEqual({
      sha: git(repo, "rev-parse", "HEAD"),
      branch: "feature/x",
      tag: "v1.2.0",
      remoteUrl: "https://example.com/acme/app.git",
      commitTime: new Date(git(repo, "log", "-1", "--format=%cI")).toISOString(),
    });
  });

  it("a detached HEAD has no branch; no tag at HEAD means none", async () => {
    const repo = repoWithCommit();
    git(repo, "checkout", "-q", "--detach");
    const info = await readGitInfo(repo, {});
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info.branch).toBeUndefined();
    expect(info.tag).toBeUndefined();
  });

  it("outside a repository: nothing", async () => {
    expect(await readGitInfo(tempRepo({}), {})).toEqual({});
  });
});
