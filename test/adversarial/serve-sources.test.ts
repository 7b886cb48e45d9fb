import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCommit } from "../../src/serve/sources/git-fetch.js";
import { checkGitUrl } from "../../src/serve/sources/git-url.js";
import { followEvents, type ServeProcess, startServe } from "../e2e/serve-server.js";
import { bareRepo, type GitHttpServer, startGitHttpServer } from "../helpers/git-http-server.js";
import { gnuLongName, paxPath, tarOf, tgzOf } from "../helpers/tar-builder.js";

/**
 * Hostile job sources for `hilt serve` (issue 15): git URLs that would run commands, read local
 * files, smuggle ssh options or carry credentials; git servers that redirect, hang or send too
 * much; repositories with links, submodules and filters; uploaded archives with `..`, absolute
 * paths, links out, devices, setuid bits, a .git folder, bombs, too many entries, or that are not
 * archives at all. Each case checks the status, the error code, that the answer is one JSON
 * document, that nothing was written outside the job's folder (nothing new beside the server's
 * own files, no upload folder left, no canary), and that the server still answers.
 */

const BUILD = "adv-sources-token-0123456789";
const MAX_BODY = 65_536;
const MAX_SOURCE = 200_000;

let outside = "";
let root = "";
let sourcesDir = "";
let canary = "";
let server: ServeProcess;
let git: GitHttpServer;
let hostile: GitHttpServer;
let stalling: GitHttpServer;
let good = "";
let commits: string[] = [];

const hang = (req: IncomingMessage, _res: ServerResponse) =>
  Boolean(req.url?.startsWith("/hang.git"));
const redirect = (req: IncomingMessage, res: ServerResponse) => {
  if (!req.url?.startsWith("/moved.git")) return false;
  res.writeHead(302, { Location: `${git.url}/app.git${req.url.slice("/moved.git".length)}` });
  res.end();
  return true;
};

beforeAll(async () => {
  outside = mkdtempSync(path.join(tmpdir(), "hilt-sources-adv-"));
  root = path.join(outside, "workspace");
  sourcesDir = path.join(outside, "sources");
  canary = path.join(outside, "pwned");
  mkdirSync(root);
  // The server's folders sit inside a git repository of their own: no job may report its commit.
  bareRepo(outside, "around", [{ "x.txt": "x" }]);
  renameSync(path.join(outside, "around.work", ".git"), path.join(outside, ".git"));
  rmSync(path.join(outside, "around.work"), { recursive: true, force: true });
  rmSync(path.join(outside, "around.git"), { recursive: true, force: true });
  const repos = path.join(outside, "git");
  mkdirSync(repos);
  commits = bareRepo(repos, "app", [
    { "catalog.yaml": "schemaVersion: 1\nimages: {}\n", "README.md": "app\n" },
  ]);
  bareRepo(repos, "big", [{ "blob.bin": randomBytes(MAX_SOURCE + 50_000) }]);
  // A pack of a few KiB that checks out to 20 MB: the cap holds for the checkout too.
  bareRepo(repos, "zeros", [{ "zeros.bin": Buffer.alloc(20 * 1024 * 1024) }]);
  git = await startGitHttpServer(repos);
  hostile = await startGitHttpServer(repos, [hang, redirect]);
  stalling = await startGitHttpServer(repos, [], { hangFetch: true });
  good = `${git.url}/app.git`;
  server = await startServe(
    [
      "--workspace",
      root,
      "--queue",
      `sqlite:${path.join(outside, "jobs.db")}`,
      "--sources-dir",
      sourcesDir,
      "--git-allow-insecure-host",
      "127.0.0.1",
      "--git-timeout",
      "8",
      "--max-body",
      String(MAX_BODY),
      "--source-max-bytes",
      String(MAX_SOURCE),
      "--archive-max-entries",
      "20",
      "--concurrency",
      "1",
    ],
    { HILT_SERVE_TOKENS: BUILD },
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await git?.close();
  await hostile?.close();
  await stalling?.close();
  if (outside) {
    chmodSync(path.join(sourcesDir, "home"), 0o755);
    rmSync(outside, { recursive: true, force: true });
  }
});

interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: error documents, checked field by field
  json: any;
}

async function send(url: string, body: string | Buffer, type: string): Promise<Answer> {
  const response = await fetch(`${server.url}${url}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${BUILD}`, "Content-Type": type },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

const submitGit = (source: Record<string, string>, kind = "detect") =>
  send("/jobs", JSON.stringify({ kind, source }), "application/json");
const upload = (body: Buffer, query = "kind=detect") =>
  send(`/jobs/archive?${query}`, body, "application/gzip");

/** Everything under `outside` but the server's own database and the git server's repositories. */
function tree(dir = outside, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (rel === "git" || rel === ".git" || rel.startsWith("jobs.db")) continue;
    out.push(rel);
    const full = path.join(dir, name);
    if (lstatSync(full).isDirectory()) out.push(...tree(full, rel));
  }
  return out.sort();
}

const UNTOUCHED = ["sources", "sources/home", "workspace"];

async function expectRefused(answer: Answer, status: number, code: string): Promise<void> {
  expect(answer.status).toBe(status);
  expect(answer.json?.error?.code).toBe(code);
  expect(Object.keys(answer.json)).toEqual(["error"]);
  expect(answer.text).not.toMatch(/\bat .+:\d+:\d+|node:internal|\.ts:\d+/);
  expect(answer.text).not.toContain(BUILD);
  expect(tree()).toEqual(UNTOUCHED);
  expect(existsSync(canary)).toBe(false);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
}

// biome-ignore lint/suspicious/noExplicitAny: a job document, checked field by field
async function finalJob(id: string): Promise<any> {
  for (let i = 0; i < 240; i++) {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const job: any = await (
      await fetch(`${server.url}/jobs/${id}`, { headers: { Authorization: `Bearer ${BUILD}` } })
    ).json();
    if (!["queued", "running"].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${id} did not finish`);
}

describe("hilt serve refuses hostile git sources", () => {
  it.each([
    ["a file:// URL", () => `file://${outside}/git/app.git`],
    ["a local path", () => `${outside}/git/app.git`],
    ["a relative path", () => "../git/app.git"],
    ["ext:: running a command", () => `ext::sh -c touch% ${canary}`],
    ["ext:: without spaces", () => "ext::true"],
    ["ssh with -oProxyCommand as the host", () => `ssh://-oProxyCommand=touch%20${canary}/x`],
    ["an scp-style -oProxyCommand", () => `-oProxyCommand=touch:${canary}`],
    ["--upload-pack as the URL", () => `--upload-pack=touch ${canary}`],
    ["an scp-style ssh URL", () => "git@127.0.0.1:app.git"],
    ["plain http from a host not allowed", () => `${good.replace("127.0.0.1", "localhost")}`],
    ["credentials in the URL", () => good.replace("http://", "http://user:s3cret-pass@")],
    ["a token as the user", () => good.replace("http://", "http://ghp_s3cret-pass@")],
    ["a query string", () => `${good}?token=s3cret-pass`],
  ])("400 GIT_URL_REFUSED for %s", async (_, url) => {
    const answer = await submitGit({ git: url() });
    await expectRefused(answer, 400, "GIT_URL_REFUSED");
    expect(answer.text).not.toContain("s3cret-pass");
    expect(server.stderr()).not.toContain("s3cret-pass");
  });

  it.each([
    ["an option as the ref", `--upload-pack=touch ${"x"}`],
    ["a ref with ..", "main/../../x"],
    ["a shell substitution", "$(touch pwned)"],
  ])("400 GIT_REF_INVALID for %s", async (_, ref) => {
    await expectRefused(await submitGit({ git: good, ref }), 400, "GIT_REF_INVALID");
  });

  it("400 GIT_REF_NOT_FOUND for a ref the remote does not have", async () => {
    await expectRefused(await submitGit({ git: good, ref: "nope" }), 400, "GIT_REF_NOT_FOUND");
  });

  it("422 GIT_FETCH_FAILED for a repository that is not there", async () => {
    const answer = await submitGit({ git: `${git.url}/missing.git` });
    await expectRefused(answer, 422, "GIT_FETCH_FAILED");
  });

  it("422 GIT_FETCH_FAILED for a server that redirects (redirects are not followed)", async () => {
    const answer = await submitGit({ git: `${hostile.url}/moved.git` });
    await expectRefused(answer, 422, "GIT_FETCH_FAILED");
  });

  it("422 GIT_TIMEOUT for a server that never answers", async () => {
    const answer = await submitGit({ git: `${hostile.url}/hang.git` });
    await expectRefused(answer, 422, "GIT_TIMEOUT");
  }, 60_000);

  it("fails the job with GIT_TIMEOUT when the server stalls the clone, folder removed", async () => {
    const answer = await submitGit({ git: `${stalling.url}/app.git` });
    expect(answer.status).toBe(202);
    const job = await finalJob(answer.json.id);
    expect(job.status).toBe("failed");
    expect(job.result.error.code).toBe("GIT_TIMEOUT");
    expect(tree()).toEqual(UNTOUCHED);
  }, 60_000);

  it("cancels a job while its clone stalls: cancelled, git ended, folder removed", async () => {
    const answer = await submitGit({ git: `${stalling.url}/app.git` });
    expect(answer.status).toBe(202);
    const id = answer.json.id;
    const headers = { Authorization: `Bearer ${BUILD}` };
    // The clone has started (its first source event) when the cancel comes.
    await followEvents(`${server.url}/jobs/${id}/events`, headers, (e) =>
      e.data.includes('"event":"source"'),
    );
    const cancel = await fetch(`${server.url}/jobs/${id}/cancel`, { method: "POST", headers });
    expect(cancel.status).toBe(202);
    const job = await finalJob(id);
    expect(job.status).toBe("cancelled");
    expect(job.result.error.code).toBe("INTERRUPTED");
    const git = spawnSync("pgrep", ["-f", `${stalling.url}/app.git`], { encoding: "utf8" });
    expect(git.stdout.trim()).toBe("");
    expect(tree()).toEqual(UNTOUCHED);
  }, 60_000);

  it.each([
    ["its pack", "big"],
    ["its checkout (a small pack of zeros)", "zeros"],
  ])(
    "fails the job with SOURCE_TOO_LARGE when %s passes the disk cap, folder removed",
    async (_, repo) => {
      const answer = await submitGit({ git: `${git.url}/${repo}.git` });
      expect(answer.status).toBe(202);
      const job = await finalJob(answer.json.id);
      expect(job.status).toBe("failed");
      expect(job.result.error.code).toBe("SOURCE_TOO_LARGE");
      expect(tree()).toEqual(UNTOUCHED);
      expect(existsSync(canary)).toBe(false);
    },
    60_000,
  );
});

describe("a hostile repository's contents stay inert in its clone", () => {
  let work = "";
  let home = "";
  let repoServer: GitHttpServer;
  let ids: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "hilt-sources-clone-"));
    home = path.join(work, "home");
    mkdirSync(home);
    chmodSync(home, 0o555);
    const repos = path.join(work, "repos");
    mkdirSync(repos);
    ids = bareRepo(repos, "evil", [
      {
        ".gitmodules": `[submodule "sub"]\n\tpath = sub\n\turl = ext::sh -c touch% ${canary}\n`,
        ".gitattributes": "* filter=lfs diff=lfs merge=lfs\n",
        "data.txt": "plain\n",
      },
    ]);
    // A committed symbolic link out of the repository.
    const workTree = path.join(repos, "evil.work");
    const gitIn = (...args: string[]) =>
      spawnSync("git", args, {
        cwd: workTree,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: workTree,
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@example.com",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@example.com",
        },
        encoding: "utf8",
      });

    symlinkSync("/etc/passwd", path.join(workTree, "passwd-link"));
    gitIn("add", "-A");
    // A submodule entry (gitlink) whose URL in .gitmodules would run a command if fetched.
    gitIn("update-index", "--add", "--cacheinfo", `160000,${ids[0]},sub`);
    gitIn("commit", "-q", "-m", "link");
    ids.push(gitIn("rev-parse", "HEAD").stdout.trim());
    rmSync(path.join(repos, "evil.git"), { recursive: true, force: true });
    gitIn("clone", "-q", "--bare", workTree, path.join(repos, "evil.git"));
    repoServer = await startGitHttpServer(repos);
  }, 60_000);

  afterAll(async () => {
    await repoServer?.close();
    if (work) {
      chmodSync(home, 0o755);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("a committed symbolic link is checked out as a plain file; no submodule, no filter, no hook ran", async () => {
    const tree = path.join(work, "tree");
    const url = checkGitUrl(`${repoServer.url}/evil.git`, { insecureHosts: ["127.0.0.1"] });
    await fetchCommit(url, ids.at(-1) ?? "", tree, {
      timeoutMs: 20_000,
      maxBytes: 1_000_000,
      home,
    });
    const link = lstatSync(path.join(tree, "passwd-link"));
    expect(link.isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(tree, "passwd-link"), "utf8")).toBe("/etc/passwd");
    expect(readFileSync(path.join(tree, "data.txt"), "utf8")).toBe("plain\n");
    // The gitlink is an empty folder: nothing was fetched for it.
    expect(readdirSync(path.join(tree, "sub"))).toEqual([]);
    expect(existsSync(path.join(tree, ".git", "modules"))).toBe(false);
    // No template: not even git's sample hooks.
    expect(existsSync(path.join(tree, ".git", "hooks"))).toBe(false);
    expect(readdirSync(home)).toEqual([]);
    expect(existsSync(canary)).toBe(false);
  });
});

describe("hilt serve refuses hostile uploads", () => {
  const file = (name: string) => ({ name, body: "x" });
  it.each([
    ["a ../ path", [file("../escaped")]],
    ["a ../ path deeper in", [file("a/../../escaped")]],
    ["an absolute path", [file("/tmp/hilt-absolute-escape")]],
    ["a pax header naming ../", [paxPath("../pax-escaped"), file("harmless")]],
    [
      "a GNU long name with ../",
      [
        gnuLongName(
          `${"d/".repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../x`,
        ),
        file("short"),
      ],
    ],
    ["a symbolic link out", [{ name: "link", type: "2", linkname: "/etc" }]],
    [
      "a symbolic link, then a file through it",
      [{ name: "l", type: "2", linkname: ".." }, file("l/x")],
    ],
    ["a hard link to /etc/passwd", [{ name: "h", type: "1", linkname: "/etc/passwd" }]],
    ["a hard link inside", [file("a"), { name: "b", type: "1", linkname: "a" }]],
    ["a character device", [{ name: "null", type: "3" }]],
    ["a block device", [{ name: "sda", type: "4" }]],
    ["a FIFO", [{ name: "fifo", type: "6" }]],
    ["a setuid file", [{ name: "suid", mode: 0o4755, body: "#!/bin/sh\n" }]],
    ["a .git config", [{ name: ".git/config", body: "[core]\n\tfsmonitor = touch pwned\n" }]],
  ])("400 ARCHIVE_ENTRY_REFUSED for %s", async (_, entries) => {
    await expectRefused(await upload(tgzOf(entries)), 400, "ARCHIVE_ENTRY_REFUSED");
    expect(existsSync(path.join(outside, "escaped"))).toBe(false);
    expect(existsSync("/tmp/hilt-absolute-escape")).toBe(false);
  });

  it("413 SOURCE_TOO_LARGE for a gzip bomb (zeros after the archive)", async () => {
    const bomb = gzipSync(
      Buffer.concat([tarOf([file("a")], { end: false }), Buffer.alloc(20 * 1024 * 1024)]),
    );
    expect(bomb.length).toBeLessThan(MAX_BODY);
    await expectRefused(await upload(bomb), 413, "SOURCE_TOO_LARGE");
  });

  it("413 SOURCE_TOO_LARGE for one entry larger than the cap", async () => {
    const big = tgzOf([{ name: "zeros", body: Buffer.alloc(MAX_SOURCE + 1) }]);
    await expectRefused(await upload(big), 413, "SOURCE_TOO_LARGE");
  });

  it("413 SOURCE_TOO_LARGE for a header claiming terabytes", async () => {
    const liar = tgzOf([{ name: "huge", size: 2 ** 40, body: "x" }], { end: false });
    await expectRefused(await upload(liar), 413, "SOURCE_TOO_LARGE");
  });

  it("413 ARCHIVE_TOO_MANY_ENTRIES past --archive-max-entries", async () => {
    const many = tgzOf(Array.from({ length: 21 }, (_, i) => file(`f${i}`)));
    await expectRefused(await upload(many), 413, "ARCHIVE_TOO_MANY_ENTRIES");
  });

  it("413 REQUEST_TOO_LARGE for a body over --max-body", async () => {
    const noise = tgzOf([{ name: "noise", body: randomBytes(MAX_BODY + 1000) }]);
    await expectRefused(await upload(noise), 413, "REQUEST_TOO_LARGE");
  });

  const archive = tgzOf([{ name: "catalog.yaml", body: "x".repeat(4000) }]);
  const plain = tarOf([{ name: "catalog.yaml", body: "x".repeat(4000) }]);
  it.each([
    ["not an archive at all", Buffer.from("just some text, no archive")],
    ["an empty body", Buffer.alloc(0)],
    ["a zip file", Buffer.from("PK\u0003\u0004\u0014\u0000\u0000\u0000")],
    ["a truncated gzip", archive.subarray(0, archive.length - 30)],
    ["a truncated tar", plain.subarray(0, 1200)],
    ["a gzip inside the gzip", gzipSync(gzipSync(plain))],
    [
      "random bytes with a gzip magic",
      Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(500)]),
    ],
  ])("400 ARCHIVE_INVALID for %s", async (_, body) => {
    await expectRefused(await upload(body), 400, "ARCHIVE_INVALID");
  });

  it("400 for a job whose paths leave the archive (checked before unpacking)", async () => {
    const answer = await upload(tgzOf([file("a")]), "kind=plan&workspace=..%2F..");
    await expectRefused(answer, 400, "PATH_OUTSIDE_ROOT");
  });
});

describe("accepted sources run in their own folder, which goes when the job ends", () => {
  it("names that look like shell are plain files: the job runs, nothing is executed", async () => {
    const names = ["$(touch pwned)", "`touch pwned`", "a;touch pwned", "-rf", "--help"];
    const answer = await upload(tgzOf(names.map((n) => ({ name: n, body: "x" }))));
    expect(answer.status).toBe(202);
    expect(answer.json.request.source.archive.entries).toBe(names.length);
    const job = await finalJob(answer.json.id);
    expect(["succeeded", "failed"]).toContain(job.status);
    expect(tree()).toEqual(UNTOUCHED);
    expect(existsSync(canary)).toBe(false);
  });

  it("an archive job does not report the commit of a repository around --sources-dir", async () => {
    const catalog = "schemaVersion: 1\nimages:\n  app: { from: debian:bookworm-slim }\n";
    const answer = await upload(tgzOf([{ name: "catalog.yaml", body: catalog }]), "kind=plan");
    expect(answer.status).toBe(202);
    const job = await finalJob(answer.json.id);
    expect(job.status).toBe("succeeded");
    expect(job.result.kind).toBe("hilt.plan");
    expect(job.result.git).toEqual({});
    expect(tree()).toEqual(UNTOUCHED);
  }, 60_000);

  it("a git job records the commit it built and its folder is removed", async () => {
    const answer = await submitGit({ git: good, ref: "main" });
    expect(answer.status).toBe(202);
    expect(answer.json.request.source).toEqual({ git: good, ref: "main", commit: commits[0] });
    const job = await finalJob(answer.json.id);
    expect(job.status).toBe("succeeded");
    expect(tree()).toEqual(UNTOUCHED);
  }, 60_000);
});
