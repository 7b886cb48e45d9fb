import type { GitInfo } from "../plan/tags.js";
import { exec } from "./exec.js";

async function git(cwd: string, ...args: string[]): Promise<string | undefined> {
  const result = await exec({ command: "git", args, cwd });
  return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
}

/**
 * The commit being built. GitHub Actions' variables win over the checkout (which is detached
 * there); explicit values (--sha, --branch) win over both.
 */
export async function readGitInfo(
  cwd: string,
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<GitInfo> = {},
): Promise<GitInfo> {
  // Two processes, not five: one log line carries the commit, its time and the refs at HEAD
  // ("HEAD -> main, tag: v1.2.0, origin/main"; no "->" when HEAD is detached).
  const [head, remoteUrl] = await Promise.all([
    git(cwd, "log", "-1", "--format=%H%x00%cI%x00%D", "HEAD"),
    git(cwd, "config", "--get", "remote.origin.url"),
  ]);
  const [sha, commitTime, decorations = ""] = head ? head.split("\0") : [];
  const refs = decorations.split(", ");
  const branch = refs.find((r) => r.startsWith("HEAD -> "))?.slice("HEAD -> ".length);
  const tag = refs.find((r) => r.startsWith("tag: "))?.slice("tag: ".length);
  const ghRef = env.GITHUB_REF_NAME;
  const ghBranch = env.GITHUB_REF_TYPE === "branch" ? env.GITHUB_HEAD_REF || ghRef : undefined;
  const ghTag = env.GITHUB_REF_TYPE === "tag" ? ghRef : undefined;
  const ghRemote =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}`
      : undefined;
  const epoch = env.SOURCE_DATE_EPOCH
    ? new Date(Number(env.SOURCE_DATE_EPOCH) * 1000).toISOString()
    : undefined;
  const info: GitInfo = {
    sha: overrides.sha ?? env.GITHUB_SHA ?? sha,
    branch: overrides.branch ?? ghBranch ?? (ghTag ? undefined : branch),
    tag: overrides.tag ?? ghTag ?? tag,
    remoteUrl: ghRemote ?? remoteUrl,
    commitTime: epoch ?? (commitTime ? new Date(commitTime).toISOString() : undefined),
  };
  return Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) as GitInfo;
}
