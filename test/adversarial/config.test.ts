// Hostile catalog and pipeline files (issue 9): keys that name JavaScript's object machinery,
// text that is not UTF-8, alias bombs, files that are not files, oversized files, names that no
// registry takes, bad push targets. Each is a located diagnostic with exit 3, never a crash (70),
// a hang or garbage keys; stdout is one JSON document and nothing is written.
import { symlinkSync, truncateSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hilt } from "../helpers/cli.js";
import { type Box, box, expectFailure, snapshot } from "./cli-contract.js";

const CATALOG = "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n";
const PIPELINE = "schemaVersion: 1\ntargets: [base]\n";

/** A document whose aliases double nine times over: tiny on disk, enormous expanded. */
function aliasBomb(prefix: string): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return `${prefix}${lines.join("\n")}\n`;
}

interface Case {
  name: string;
  files: Record<string, string | Buffer>;
  code: string;
  /** line:col of the first diagnostic. */
  at: string;
  path?: string;
  args?: string[];
  setup?: (b: Box) => void;
  /** Also through `hilt plan --json` (the path programs take), not only `validate`. */
  plan?: boolean;
}

const utf16 = (text: string, bigEndian: boolean): Buffer => {
  const le = Buffer.from(`\ufeff${text}`, "utf16le");
  return bigEndian ? le.swap16() : le;
};

const cases: Case[] = [
  {
    name: "__proto__ as an image name",
    files: { "catalog.yaml": `${CATALOG}  __proto__:\n    from: base\n` },
    code: "RESERVED_KEY",
    at: "5:3",
    path: "images.__proto__",
    plan: true,
  },
  {
    name: "constructor as an env key",
    files: { "catalog.yaml": `${CATALOG}    steps:\n      - env: {constructor: x}\n` },
    code: "RESERVED_KEY",
    at: "6:15",
    path: "images.base.steps.0.env.constructor",
  },
  {
    name: "prototype as a label key",
    files: { "catalog.yaml": `${CATALOG}    labels:\n      prototype: x\n` },
    code: "RESERVED_KEY",
    at: "6:7",
    path: "images.base.labels.prototype",
  },
  {
    name: "__proto__ as a build argument",
    files: {
      "catalog.yaml": `${CATALOG}    dockerfile: Dockerfile\n    buildArgs: {__proto__: {polluted: yes}}\n`,
      Dockerfile: "FROM scratch\n",
    },
    code: "RESERVED_KEY",
    at: "6:17",
    path: "images.base.buildArgs.__proto__",
  },
  {
    name: "constructor as a group name",
    files: { "catalog.yaml": `${CATALOG}groups:\n  constructor: [base]\n` },
    code: "RESERVED_KEY",
    at: "6:3",
    path: "groups.constructor",
  },
  {
    name: "__proto__ at the top of the catalog",
    files: { "catalog.yaml": `__proto__: {schemaVersion: 2}\n${CATALOG}` },
    code: "RESERVED_KEY",
    at: "1:1",
    path: "__proto__",
  },
  {
    name: "__proto__ quoted, in flow style",
    files: { "catalog.yaml": `${CATALOG}    labels: {"__proto__": x}\n` },
    code: "RESERVED_KEY",
    at: "5:14",
    path: "images.base.labels.__proto__",
  },
  {
    name: "__proto__ as a pipeline baseImages key",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}baseImages:\n  __proto__: evil/debian:1\n`,
    },
    code: "RESERVED_KEY",
    at: "4:3",
    path: "baseImages.__proto__",
  },
  {
    name: "constructor in a pipeline's push",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}push:\n  constructor: x\n`,
    },
    code: "RESERVED_KEY",
    at: "4:3",
    path: "push.constructor",
  },
  {
    name: "a UTF-16 LE catalog",
    files: { "catalog.yaml": utf16(CATALOG, false) },
    code: "NOT_UTF8",
    at: "1:1",
    plan: true,
  },
  {
    name: "a UTF-16 BE catalog",
    files: { "catalog.yaml": utf16(CATALOG, true) },
    code: "NOT_UTF8",
    at: "1:1",
  },
  {
    name: "a Latin-1 byte in a description",
    files: {
      "catalog.yaml": Buffer.concat([
        Buffer.from(`${CATALOG}    description: "caf`),
        Buffer.from([0xe9]),
        Buffer.from('"\n'),
      ]),
    },
    code: "NOT_UTF8",
    at: "5:22",
  },
  {
    name: "a truncated multi-byte character",
    files: {
      "catalog.yaml": Buffer.concat([
        Buffer.from(`${CATALOG}    description: "`),
        Buffer.from([0xe2, 0x82]),
      ]),
    },
    code: "NOT_UTF8",
    at: "5:19",
  },
  {
    name: "a pipeline in Latin-1",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": Buffer.concat([
        Buffer.from(`${PIPELINE}description: "na`),
        Buffer.from([0xef, 0x76, 0x65]),
        Buffer.from('"\n'),
      ]),
    },
    code: "NOT_UTF8",
    at: "3:17",
  },
  {
    name: "a NUL byte",
    files: { "catalog.yaml": `${CATALOG}    description: "a\u0000b"\n` },
    code: "CONTROL_CHARACTER",
    at: "5:20",
  },
  {
    name: "an escape character in a key",
    files: { "catalog.yaml": `${CATALOG}  ba\u001bse2:\n    from: base\n` },
    code: "CONTROL_CHARACTER",
    at: "5:5",
  },
  {
    name: "a billion laughs catalog",
    files: { "catalog.yaml": aliasBomb(`${CATALOG}x-bomb:\n`).replace(/^a/gm, "  a") },
    code: "YAML_ALIAS_LIMIT",
    at: "7:12",
    plan: true,
  },
  {
    name: "a billion laughs at the top level",
    files: { "catalog.yaml": aliasBomb(CATALOG) },
    code: "YAML_ALIAS_LIMIT",
    at: "6:10",
  },
  {
    name: "a billion laughs pipeline",
    files: { "catalog.yaml": CATALOG, "pipelines/default.yaml": aliasBomb(PIPELINE) },
    code: "YAML_ALIAS_LIMIT",
    at: "4:10",
  },
  {
    name: "nesting ten thousand deep",
    files: { "catalog.yaml": `${CATALOG}    labels: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n` },
    code: "YAML_SYNTAX",
    at: "5:",
  },
  {
    name: "a 300-character image name",
    files: { "catalog.yaml": `${CATALOG}  ${"a".repeat(300)}:\n    from: base\n` },
    code: "INVALID_IMAGE_NAME",
    at: "5:3",
    path: `images.${"a".repeat(300)}`,
    plan: true,
  },
  {
    name: "a 300-character repository",
    files: { "catalog.yaml": `${CATALOG}    repository: ${"b".repeat(300)}\n` },
    code: "INVALID_IMAGE_NAME",
    at: "5:17",
    path: "images.base.repository",
  },
  {
    name: "a bad push target in a pipeline",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}push:\n  registry: "not a registry!"\n`,
    },
    code: "INVALID_PUSH_TARGET",
    at: "4:13",
    path: "push.registry",
    plan: true,
  },
  {
    name: "a push namespace in capitals",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}push: {registry: registry.example.com/Team}\n`,
    },
    code: "INVALID_PUSH_TARGET",
    at: "3:18",
    path: "push.registry",
  },
  {
    name: "a GHCR owner no registry accepts",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}push: {registry: ghcr, owner: "-acme-"}\n`,
    },
    code: "INVALID_PUSH_TARGET",
    at: "3:31",
    path: "push.owner",
  },
  {
    name: "a ttl.sh lifetime of a week",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}push: {registry: ttl.sh, ttl: 7d}\n`,
    },
    code: "INVALID_TTL",
    at: "3:31",
    path: "push.ttl",
  },
  {
    name: "a baseImages key that is no reference",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}baseImages:\n  "Debian Slim": registry.local/debian:12\n`,
    },
    code: "INVALID_REFERENCE",
    at: "4:3",
  },
  {
    name: "a baseImages value that is no reference",
    files: {
      "catalog.yaml": CATALOG,
      "pipelines/default.yaml": `${PIPELINE}baseImages:\n  debian: "registry.local/debian:-bad"\n`,
    },
    code: "INVALID_REFERENCE",
    at: "4:11",
    path: "baseImages.debian",
  },
  {
    name: "a runtime registry with spaces",
    files: { "catalog.yaml": `${CATALOG}runtime:\n  registry: "ghcr.io/acme corp"\n` },
    code: "INVALID_REFERENCE",
    at: "6:13",
    path: "runtime.registry",
  },
  {
    name: "a runtime tag starting with a dash",
    files: { "catalog.yaml": `${CATALOG}runtime:\n  tag: "-latest"\n` },
    code: "INVALID_TAG",
    at: "6:8",
    path: "runtime.tag",
  },
  {
    name: "several YAML documents in one file",
    files: { "catalog.yaml": `${CATALOG}---\n${CATALOG}` },
    code: "YAML_SYNTAX",
    at: "5:",
  },
  {
    name: "a catalog that is a folder",
    files: { "catalog.yaml/.keep": "" },
    code: "NOT_A_REGULAR_FILE",
    at: "1:1",
  },
  {
    name: "a catalog that is a FIFO (no hang)",
    files: {},
    setup: (b) => b.fifo("catalog.yaml"),
    code: "NOT_A_REGULAR_FILE",
    at: "1:1",
    plan: true,
  },
  {
    name: "a catalog that links to itself",
    files: {},
    setup: (b) => symlinkSync("catalog.yaml", path.join(b.repo, "catalog.yaml")),
    code: "FILE_UNREADABLE",
    at: "1:1",
  },
  {
    name: "a 5 MB catalog",
    files: { "catalog.yaml": CATALOG },
    setup: (b) => truncateSync(path.join(b.repo, "catalog.yaml"), 5 * 1024 * 1024),
    code: "FILE_TOO_LARGE",
    at: "1:1",
  },
  {
    name: "a pipeline that is a FIFO",
    files: { "catalog.yaml": CATALOG },
    setup: (b) => b.fifo("pipelines/default.yaml"),
    code: "NOT_A_REGULAR_FILE",
    at: "1:1",
  },
  {
    name: "a catalog name too long for the file system",
    files: { "catalog.yaml": CATALOG },
    args: ["validate", "--json", "--catalog", `${"c".repeat(300)}.yaml`],
    code: "FILE_UNREADABLE",
    at: "1:1",
  },
  {
    name: "concurrency of a billion in a pipeline",
    files: { "catalog.yaml": CATALOG, "pipelines/default.yaml": `${PIPELINE}concurrency: 1e9\n` },
    code: "INVALID_VALUE",
    at: "3:14",
    path: "concurrency",
  },
];

describe("hostile catalog and pipeline files", () => {
  it.each(cases)("$name: exit 3, located", (c) => {
    const b = box(c.files);
    c.setup?.(b);
    const runs = [c.args ?? ["validate", "--json"], ...(c.plan ? [["plan", "--json"]] : [])];
    for (const args of runs) {
      const { doc } = expectFailure(b, args, { exit: 3, code: c.code });
      const first = (
        doc as unknown as {
          diagnostics: { line: number; column: number; path: string; file: string }[];
        }
      ).diagnostics[0];
      expect(first, JSON.stringify(doc)).toBeDefined();
      expect(`${first?.line}:${first?.column}`.startsWith(c.at), JSON.stringify(first)).toBe(true);
      if (c.path !== undefined) expect(first?.path).toBe(c.path);
      expect(first?.file).toMatch(/catalog\.yaml|default\.yaml|\.yaml$/);
    }
  });

  it("keeps a UTF-8 byte order mark and sane aliases working", () => {
    const b = box({
      "catalog.yaml": `\ufeff${CATALOG}  child:\n    from: base\n    platforms: &both [linux/amd64]\n  other:\n    from: base\n    platforms: *both\n`,
    });
    const before = snapshot(b);
    const result = hilt(["validate", "--json"], { cwd: b.repo, env: b.env });
    expect(result.status, result.stdout).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, errors: [] });
    expect(snapshot(b)).toEqual(before);
  });

  it("still reads a value that merely mentions __proto__", () => {
    const b = box({
      "catalog.yaml": `${CATALOG}    description: "guards against __proto__ keys"\n`,
    });
    const result = hilt(["validate", "--json"], { cwd: b.repo, env: b.env });
    expect(result.status, result.stdout).toBe(0);
    expect(JSON.parse(result.stdout).ok).toBe(true);
  });
});
