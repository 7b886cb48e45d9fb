// Hostile command lines (issue 9): every usage error, bad flag value and unwritable output is a
// coded error, and under --json still exactly one JSON document on stdout (a result document for
// the build commands), exit 2, with a hint; nothing is written anywhere, no secret is echoed.
import { describe, expect, it } from "vitest";
import { hilt } from "../helpers/cli.js";
import { type Box, box, expectFailure, snapshot } from "./cli-contract.js";

const CATALOG = "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n";
const TOKEN = "npm_s3cretT0kenValue42";

interface Case {
  name: string;
  args: string[];
  code: string;
  exit?: number;
  /** Error text the message must hold: it names the flag or the thing, and the value. */
  says?: RegExp;
  setup?: (b: Box) => void;
  /** Commands without --json (summarize): stdout stays empty, the error goes to stderr. */
  json?: boolean;
  /** Build commands answer with a result document. */
  result?: boolean;
}

const usage: Case[] = [
  { name: "an unknown option", args: ["plan", "--bogus"], code: "USAGE", says: /--bogus/ },
  { name: "an unknown command", args: ["frobnicate"], code: "USAGE", says: /frobnicate/ },
  { name: "--json alone", args: [], code: "USAGE", says: /--json/ },
  {
    name: "build without targets",
    args: ["build"],
    code: "USAGE",
    says: /targets/,
    result: true,
  },
  {
    name: "resolve-image without --mode",
    args: ["resolve-image"],
    code: "USAGE",
    says: /--mode/,
  },
  {
    name: "resolve-image --mode banana",
    args: ["resolve-image", "--mode", "banana"],
    code: "INVALID_ARGUMENT",
    says: /--mode "banana"/,
  },
  {
    name: "--engine podman",
    args: ["build-all", "--engine", "podman"],
    code: "INVALID_ARGUMENT",
    says: /--engine "podman"/,
    result: true,
  },
  {
    name: "--concurrency 0",
    args: ["build-all", "--concurrency", "0"],
    code: "INVALID_ARGUMENT",
    says: /--concurrency "0"/,
    result: true,
  },
  {
    name: "--concurrency 65",
    args: ["build", "base", "--concurrency", "65"],
    code: "INVALID_ARGUMENT",
    says: /--concurrency "65"/,
    result: true,
  },
  {
    name: "--concurrency 1.5",
    args: ["build-all", "--concurrency", "1.5"],
    code: "INVALID_ARGUMENT",
    result: true,
  },
  {
    name: "--timeout -5",
    args: ["build-all", "--timeout", "-5"],
    code: "INVALID_ARGUMENT",
    says: /--timeout "-5"/,
    result: true,
  },
  {
    name: "--timeout 0",
    args: ["build-all", "--timeout", "0"],
    code: "INVALID_ARGUMENT",
    result: true,
  },
  {
    name: "--timeout past what a timer holds",
    args: ["build-all", "--timeout", "99999999999"],
    code: "INVALID_ARGUMENT",
    result: true,
  },
  {
    name: "--timeout NaN",
    args: ["build-all", "--timeout", "NaN"],
    code: "INVALID_ARGUMENT",
    result: true,
  },
  {
    name: "--platform garbage",
    args: ["plan", "--platform", "garbage"],
    code: "INVALID_ARGUMENT",
    says: /"garbage" is not a platform/,
  },
  {
    name: "--platform ,",
    args: ["plan", "--platform", ","],
    code: "INVALID_ARGUMENT",
    says: /names no platform/,
  },
  {
    name: "--platform with a newline",
    args: ["export", "matrix", "--platform", "linux/amd64\nlinux/arm64"],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--base-image debian",
    args: ["plan", "--base-image", "debian"],
    code: "INVALID_ARGUMENT",
    says: /NAME=REF/,
  },
  {
    name: "--base-image =ref",
    args: ["plan", "--base-image", "=registry.local/debian"],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--base-image with a bad REF",
    args: ["build-all", "--base-image", "debian=Registry Local/debian:-1"],
    code: "INVALID_ARGUMENT",
    says: /REF/,
    result: true,
  },
  {
    name: "--base-image with a bad NAME",
    args: ["plan", "--base-image", "Debian!=registry.local/debian"],
    code: "INVALID_ARGUMENT",
    says: /NAME/,
  },
  {
    name: "--base-image with a 300-character REF",
    args: ["plan", "--base-image", `debian=registry.local/${"d".repeat(300)}`],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--sha xyz",
    args: ["plan", "--sha", "xyz"],
    code: "INVALID_ARGUMENT",
    says: /--sha "xyz"/,
  },
  { name: "--sha too short", args: ["plan", "--sha", "abc12"], code: "INVALID_ARGUMENT" },
  {
    name: "--sha with shell in it",
    args: ["export", "bake", "--sha", "0123456;rm -rf /"],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--sha of 65 hex digits",
    args: ["plan", "--sha", "a".repeat(65)],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--ttl 48h",
    args: ["plan", "--push", "ttl.sh", "--ttl", "48h"],
    code: "INVALID_ARGUMENT",
    says: /--ttl "48h"/,
  },
  { name: "--ttl forever", args: ["plan", "--ttl", "forever"], code: "INVALID_ARGUMENT" },
  {
    name: "--ca-cert that does not exist",
    args: ["build-all", "--ca-cert", "missing.pem"],
    code: "INVALID_ARGUMENT",
    says: /--ca-cert "missing.pem": the file does not exist/,
    result: true,
  },
  {
    name: "--ca-cert that is a folder",
    args: ["build-all", "--ca-cert", "certs"],
    code: "INVALID_ARGUMENT",
    says: /folder/,
    setup: (b) => b.dir("certs"),
    result: true,
  },
  {
    name: "--ca-cert that is a FIFO",
    args: ["build", "base", "--ca-cert", "ca.pem"],
    code: "INVALID_ARGUMENT",
    setup: (b) => b.fifo("ca.pem"),
    result: true,
  },
  {
    name: "--npm-registry ftp://",
    args: ["build-all", "--npm-registry", "ftp://registry.example.com/"],
    code: "INVALID_ARGUMENT",
    says: /http\(s\) URL/,
    result: true,
  },
  {
    name: "--npm-registry that is no URL",
    args: ["build-all", "--npm-registry", "registry.npmjs.org"],
    code: "INVALID_ARGUMENT",
    result: true,
  },
  {
    name: "--npm-registry with a token in it (never echoed)",
    args: ["build-all", "--npm-registry", `https://ci:${TOKEN}@registry.example.com/`],
    code: "INVALID_ARGUMENT",
    says: /credentials/,
    result: true,
  },
  {
    name: "--registry with spaces",
    args: ["resolve-image", "--mode", "task", "--registry", "ghcr.io/acme corp"],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--provider with a path in it",
    args: ["resolve-image", "--mode", "task", "--provider", "../../etc"],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--wave x",
    args: ["export", "matrix", "--wave", "x"],
    code: "INVALID_ARGUMENT",
  },
  {
    name: "--push to a bad target",
    args: ["plan", "--push", "not a registry!"],
    code: "INVALID_PUSH_TARGET",
  },
  {
    name: "--push ghcr without an owner",
    args: ["plan", "--push", "ghcr"],
    code: "INVALID_PUSH_TARGET",
    says: /owner/,
  },
  {
    name: "--push ghcr with a bad --owner",
    args: ["build-all", "--push", "ghcr", "--owner", "-acme-"],
    code: "INVALID_PUSH_TARGET",
    result: true,
  },
  {
    name: "a 300-character target",
    args: ["plan", "a".repeat(300)],
    code: "UNKNOWN_TARGET",
  },
];

const outputs: Case[] = [
  {
    name: "export bake -o a folder (EISDIR)",
    args: ["export", "bake", "-o", "out"],
    code: "WRITE_FAILED",
    says: /cannot write out: it is a folder/,
    setup: (b) => b.dir("out"),
  },
  {
    name: "export bake -o into a read-only place",
    args: ["export", "bake", "-o", "/proc/hilt-bake.json"],
    code: "WRITE_FAILED",
  },
  {
    name: "export bake -o through a file (ENOTDIR)",
    args: ["export", "bake", "-o", "catalog.yaml/bake.json"],
    code: "WRITE_FAILED",
  },
  {
    name: "export bake -o a 300-character name (ENAMETOOLONG)",
    args: ["export", "bake", "-o", `${"b".repeat(300)}.json`],
    code: "WRITE_FAILED",
    says: /too long/,
  },
  {
    name: "export bake -o into a missing folder",
    args: ["export", "bake", "-o", "no/such/folder/bake.json"],
    code: "WRITE_FAILED",
  },
  {
    name: "export matrix --wave past the last",
    args: ["export", "matrix", "--wave", "99"],
    code: "UNKNOWN_WAVE",
  },
  {
    name: "summarize a missing file",
    args: ["summarize", "result.json"],
    code: "UNREADABLE_RESULT",
    json: false,
  },
  {
    name: "summarize a folder",
    args: ["summarize", "results"],
    code: "UNREADABLE_RESULT",
    setup: (b) => b.dir("results"),
    json: false,
  },
  {
    name: "summarize a FIFO (no hang)",
    args: ["summarize", "result.json"],
    code: "UNREADABLE_RESULT",
    setup: (b) => b.fifo("result.json"),
    json: false,
  },
  {
    name: "detect a missing folder",
    args: ["detect", "no-such-folder"],
    code: "PATH_NOT_FOUND",
  },
  {
    name: "detect a file",
    args: ["detect", "catalog.yaml"],
    code: "NOT_A_DIRECTORY",
  },
  {
    name: "generate a path too long for the file system",
    args: ["generate", "g".repeat(5000)],
    code: "PATH_UNREADABLE",
  },
  {
    name: "--catalog that is a folder",
    args: ["plan", "--catalog", "images"],
    code: "NOT_A_REGULAR_FILE",
    exit: 3,
    setup: (b) => b.dir("images"),
  },
  {
    name: "--pipeline that does not exist",
    args: ["build-all", "--pipeline", "nightly"],
    code: "FILE_NOT_FOUND",
    exit: 3,
    result: true,
  },
  {
    name: "resolve-image with a named catalog that does not exist",
    args: ["resolve-image", "--mode", "task", "--catalog", "missing.yaml"],
    code: "FILE_NOT_FOUND",
    exit: 3,
  },
  {
    name: "resolve-image --needs a capability nobody provides",
    args: ["resolve-image", "--mode", "task", "--needs", "cobol"],
    code: "NO_IMAGE_PROVIDES",
  },
  {
    name: "resolve-image with an invalid catalog (never silently skipped)",
    args: ["resolve-image", "--mode", "session"],
    code: "UNKNOWN_PARENT",
    exit: 3,
    setup: (b) => b.write("catalog.yaml", `${CATALOG}  child:\n    from: bsae\n`),
  },
];

function run(c: Case): void {
  const b = box({ "catalog.yaml": CATALOG });
  c.setup?.(b);
  const json = c.json !== false;
  const args = json ? [...c.args, "--json"] : c.args;
  const { doc, result } = expectFailure(b, args, {
    exit: c.exit ?? 2,
    code: c.code,
    json,
    secrets: [TOKEN],
  });
  if (json) expect(doc.kind).toBe(c.result ? "hilt.result" : "hilt.error");
  if (c.says) expect(json ? doc.error.message : result.stderr).toMatch(c.says);
}

describe("hostile command lines", () => {
  it.each(usage)("$name", run);
});

describe("outputs and inputs that cannot be used", () => {
  it.each(outputs)("$name", run);
});

describe("flags the push target ignores", () => {
  it("warns on stderr, and stdout stays one JSON document", () => {
    const b = box({ "catalog.yaml": CATALOG });
    const before = snapshot(b);
    const result = hilt(["export", "matrix", "--ttl", "2h", "--owner", "acme", "--json"], {
      cwd: b.repo,
      env: b.env,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).waves).toBeDefined();
    expect(result.stderr).toContain("--ttl applies only to --push ttl.sh");
    expect(result.stderr).toContain("--owner applies only to --push ghcr");
    expect(snapshot(b)).toEqual(before);
  });
});

describe("human output of the same errors", () => {
  it("says what is wrong and the fix on stderr, stdout empty, exit 2", () => {
    const b = box({ "catalog.yaml": CATALOG });
    const result = hilt(["build-all", "--concurrency", "0"], { cwd: b.repo, env: b.env });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/--concurrency <n>' argument '0' is invalid/);
    expect(result.stderr).toMatch(/hint: e\.g\. --concurrency 4/);
  });
});
