import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2EEnv, e2eEnv, hiltRun, type Run, uniqueName } from "../e2e/env.js";
import { tempRepo } from "../helpers/cli.js";

const env = e2eEnv();
const TOKEN = `npm_canary${uniqueName("tok").replace(/-/g, "")}`;
const GH_TOKEN = `ghp_canary${uniqueName("gh").replace(/-/g, "")}`;

/** A repository whose install scripts try every way to take the caller's credentials along. */
function thievingRepo(): Record<string, string> {
  // Into node_modules too: a multi-stage Dockerfile copies that folder into the final image.
  const steal = ["stolen", "node_modules/.stolen"]
    .map((dir) =>
      [
        `mkdir -p ${dir}`,
        `cat /root/.npmrc /run/secrets/* ~/.npmrc > ${dir}/files.txt 2>/dev/null`,
        `env > ${dir}/env.txt`,
      ].join("; "),
    )
    .concat("true")
    .join("; ");
  return {
    "package.json": JSON.stringify({
      name: "thief",
      version: "1.0.0",
      scripts: { preinstall: steal, postinstall: steal, start: "node server.js" },
      dependencies: { ms: "2.1.3" },
    }),
    "server.js":
      'require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT || 3000);\n',
  };
}

function baseImageArgs(e: E2EEnv): string[] {
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
  return ["node", "debian"].flatMap((n) => ["--base-image", `${n}=${prefix}/${n}`]);
}

/** Every byte of an image as `docker save` writes it: config, history and each layer. */
function imageBytes(ref: string): Buffer {
  const saved = spawnSync("docker", ["save", ref], { maxBuffer: 2 * 1024 * 1024 * 1024 });
  expect(saved.status, saved.stderr?.toString()).toBe(0);
  return saved.stdout;
}

/** Files under `dir` holding `needle`; at the top level, only entries changed since `since`. */
function grepTree(dir: string, needle: string, since = 0): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(d, entry.name);
      if (
        d === dir &&
        since > 0 &&
        (statSync(full, { throwIfNoEntry: false })?.mtimeMs ?? 0) < since
      )
        continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        try {
          if (readFileSync(full).includes(needle)) hits.push(full);
        } catch {}
      }
    }
  };
  walk(dir);
  return hits;
}

describe.skipIf(!env)("credentials never reach an untrusted repository's build", () => {
  const e = env as E2EEnv;
  let repo: string;
  let run: Run;
  // Hilt's own temporary folder: other test files running at the same time make hilt-* folders
  // in the shared one.
  let privateTmp: string;
  let started: number;
  const tag = uniqueName("thief");

  beforeAll(() => {
    repo = tempRepo(thievingRepo(), afterAll);
    // The lock file is made here, against whatever npm registry this machine uses.
    const lock = spawnSync("npm", ["install", "--package-lock-only", "--ignore-scripts"], {
      cwd: repo,
      encoding: "utf8",
    });
    expect(lock.status, lock.stderr).toBe(0);
    privateTmp = mkdtempSync(path.join(tmpdir(), "secrets-tmpdir-"));
    started = Date.now() - 1000;
    run = hiltRun(
      [
        "build",
        repo,
        "--json",
        "--events",
        "--push",
        "none",
        "--sha",
        "0123456",
        ...baseImageArgs(e),
      ],
      repo,
      {
        NPM_TOKEN: TOKEN,
        NODE_AUTH_TOKEN: TOKEN,
        GITHUB_TOKEN: GH_TOKEN,
        HILT_DEBUG: "1",
        TMPDIR: privateTmp,
      },
    );
  });

  afterAll(() => {
    for (const image of run?.json?.images ?? [])
      for (const ref of image.refs) spawnSync("docker", ["rmi", "-f", ref]);
    spawnSync("docker", ["rmi", "-f", tag]);
    if (privateTmp) rmSync(privateTmp, { recursive: true, force: true });
  });

  it("builds the service without its install scripts' help", () => {
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    expect(run.json.images).toHaveLength(1);
    expect(run.json.images[0].status).toBe("built");
  });

  it("puts no token into any layer, the config or the history of the image", () => {
    const ref = run.json.images[0]?.refs[0] as string;
    const bytes = imageBytes(ref);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.includes(TOKEN)).toBe(false);
    expect(bytes.includes(GH_TOKEN)).toBe(false);
  });

  it("ran no install script with a secret: preinstall never, postinstall only after the install, with none mounted", () => {
    const ref = run.json.images[0]?.refs[0] as string;
    const inside = (script: string) =>
      spawnSync("docker", ["run", "--rm", "--entrypoint", "sh", ref, "-c", script], {
        encoding: "utf8",
      }).stdout;
    // The repository's own postinstall (prisma generate and the like) runs after the sources are
    // copied, in a step with no secret mount: whatever it captured holds no credential.
    const captured = inside("cat /app/stolen/files.txt /app/stolen/env.txt 2>/dev/null");
    expect(captured).toMatch(/PATH=/);
    expect(captured).not.toContain(TOKEN);
    expect(captured).not.toContain(GH_TOKEN);
    expect(captured).not.toMatch(/_authToken|registry=/);
    expect(inside("cat /app/stolen/files.txt")).toBe("");
  });

  it("shows no token on stdout, stderr or in the events, even with HILT_DEBUG", () => {
    for (const text of [run.stdout, run.stderr]) {
      expect(text.includes(TOKEN)).toBe(false);
      expect(text.includes(GH_TOKEN)).toBe(false);
    }
    expect(run.events.length).toBeGreaterThan(0);
  });

  it("leaves no temporary file behind, with or without a token in it", () => {
    // tsx-*: the compile cache of tsx, which runs Hilt from its sources in the tests.
    expect(readdirSync(privateTmp).filter((name) => !name.startsWith("tsx-"))).toEqual([]);
    // The shared folder too, for a process that ignores TMPDIR: what changed during the run
    // (all of it would take minutes where earlier runs left much).
    expect(grepTree(tmpdir(), TOKEN, started)).toEqual([]);
  });

  it("writes nothing into the repository", () => {
    expect(readdirSync(repo).sort()).toEqual(["package-lock.json", "package.json", "server.js"]);
  });
});
