import { describe, expect, it } from "vitest";
import { decodeConfigText } from "../../src/model/config-file.js";
import type { Diagnostic } from "../../src/model/diagnostics.js";
import { validateCatalogText } from "../../src/model/load-catalog.js";
import { validatePipelineText } from "../../src/model/load-pipeline.js";

// Each case: the file text, and the first diagnostic it must produce: code, line:col, field path.
interface Case {
  name: string;
  text: string;
  code: string;
  at: string;
  path: string;
  hint?: RegExp;
}

/** The first diagnostic is the case's: same code, position, field, file and hint. */
function expectFirstError(errors: Diagnostic[], c: Case, file: string): void {
  const first = errors[0];
  expect(first, JSON.stringify(errors)).toBeDefined();
  const at = `${first?.line}:${first?.column}`;
  expect({ code: first?.code, at, path: first?.path }).toEqual({
    code: c.code,
    at: c.at,
    path: c.path,
  });
  expect(first?.file).toBe(file);
  if (c.hint) expect(first?.hint).toMatch(c.hint);
}

const head = "schemaVersion: 1\nimages:\n";
const base = "  base:\n    from: debian:bookworm-slim\n";

const catalogCases: Case[] = [
  {
    name: "tab indentation",
    text: "schemaVersion: 1\nimages:\n\tbase: {}\n",
    code: "YAML_SYNTAX",
    at: "3:1",
    path: "",
  },
  {
    name: "unclosed flow mapping",
    text: `${head}  base: {from: x\n`,
    code: "YAML_SYNTAX",
    at: "4:1",
    path: "",
  },
  {
    name: "bad indentation",
    text: `${head}  base:\n    from: a:1\n   steps: []\n`,
    code: "YAML_SYNTAX",
    at: "5:1",
    path: "",
  },
  { name: "document is a list", text: "- a\n- b\n", code: "INVALID_TYPE", at: "1:1", path: "" },
  { name: "document is empty", text: "", code: "INVALID_TYPE", at: "1:1", path: "" },
  {
    name: "unsupported version",
    text: "schemaVersion: 2\nimages: {}\n",
    code: "UNSUPPORTED_SCHEMA_VERSION",
    at: "1:16",
    path: "schemaVersion",
  },
  {
    name: "missing schemaVersion",
    text: "images: {}\n",
    code: "MISSING_FIELD",
    at: "1:1",
    path: "",
  },
  {
    name: "missing images",
    text: "schemaVersion: 1\n",
    code: "MISSING_FIELD",
    at: "1:1",
    path: "",
  },
  {
    name: "unknown top-level key",
    text: "schemaVersion: 1\nimages: {}\ngroup: {}\n",
    code: "UNKNOWN_KEY",
    at: "3:1",
    path: "group",
    hint: /did you mean "groups"/,
  },
  {
    name: "unknown image key",
    text: `${head}${base}    step: []\n`,
    code: "UNKNOWN_KEY",
    at: "5:5",
    path: "images.base.step",
    hint: /did you mean "steps"/,
  },
  {
    name: "unknown step action",
    text: `${head}${base}    steps:\n      - nmp: [x]\n`,
    code: "UNKNOWN_KEY",
    at: "6:9",
    path: "images.base.steps.0.nmp",
    hint: /did you mean "npm"/,
  },
  {
    name: "two actions in a step",
    text: `${head}${base}    steps:\n      - apt: [git]\n        run: ls\n`,
    code: "INVALID_STEP",
    at: "6:9",
    path: "images.base.steps.0",
  },
  {
    name: "empty step",
    text: `${head}${base}    steps:\n      - {}\n`,
    code: "INVALID_STEP",
    at: "6:9",
    path: "images.base.steps.0",
  },
  {
    name: "apt as a string",
    text: `${head}${base}    steps:\n      - apt: git\n`,
    code: "INVALID_TYPE",
    at: "6:14",
    path: "images.base.steps.0.apt",
  },
  {
    name: "empty apt list",
    text: `${head}${base}    steps:\n      - apt: []\n`,
    code: "INVALID_VALUE",
    at: "6:14",
    path: "images.base.steps.0.apt",
  },
  {
    name: "env with a bad name",
    text: `${head}${base}    steps:\n      - env: {"1X": y}\n`,
    code: "INVALID_KEY",
    at: "6:15",
    path: "images.base.steps.0.env.1X",
  },
  {
    name: "env value a mapping",
    text: `${head}${base}    steps:\n      - env: {A: {b: 1}}\n`,
    code: "INVALID_TYPE",
    at: "6:18",
    path: "images.base.steps.0.env.A",
  },
  {
    name: "copy without dest",
    text: `${head}${base}    steps:\n      - copy: {src: a}\n`,
    code: "MISSING_FIELD",
    at: "6:15",
    path: "images.base.steps.0.copy",
  },
  {
    name: "copy from outside",
    text: `${head}${base}    steps:\n      - copy: {src: ../secret, dest: /x}\n`,
    code: "PATH_ESCAPES_REPO",
    at: "6:21",
    path: "images.base.steps.0.copy.src",
  },
  {
    name: "copy with a bad mode",
    text: `${head}${base}    steps:\n      - copy: {src: a, dest: /x, chmod: rwx}\n`,
    code: "INVALID_VALUE",
    at: "6:41",
    path: "images.base.steps.0.copy.chmod",
  },
  {
    name: "from missing",
    text: `${head}  base:\n    steps: []\n`,
    code: "MISSING_FIELD",
    at: "4:5",
    path: "images.base",
  },
  {
    name: "from a number",
    text: `${head}  base:\n    from: 12\n`,
    code: "INVALID_TYPE",
    at: "4:11",
    path: "images.base.from",
  },
  {
    name: "unknown parent (typo)",
    text: `${head}${base}  child:\n    from: bse\n`,
    code: "UNKNOWN_PARENT",
    at: "6:11",
    path: "images.child.from",
    hint: /did you mean "base"/,
  },
  {
    name: "unknown parent (untagged)",
    text: `${head}  child:\n    from: ubuntu\n`,
    code: "UNKNOWN_PARENT",
    at: "4:11",
    path: "images.child.from",
    hint: /with a tag/,
  },
  {
    name: "uppercase in a reference",
    text: `${head}  base:\n    from: ghcr.io/Acme/base:1\n`,
    code: "INVALID_REFERENCE",
    at: "4:11",
    path: "images.base.from",
  },
  {
    name: "bad tag in a reference",
    text: `${head}  base:\n    from: "debian:-slim"\n`,
    code: "INVALID_REFERENCE",
    at: "4:11",
    path: "images.base.from",
  },
  {
    name: "bad digest",
    text: `${head}  base:\n    from: debian@sha256:abc\n`,
    code: "INVALID_REFERENCE",
    at: "4:11",
    path: "images.base.from",
  },
  {
    name: "two-image cycle",
    text: `${head}  a:\n    from: b\n  b:\n    from: a\n`,
    code: "CYCLE",
    at: "4:11",
    path: "images.a.from",
  },
  {
    name: "self cycle",
    text: `${head}  a:\n    from: a\n`,
    code: "CYCLE",
    at: "4:11",
    path: "images.a.from",
  },
  {
    name: "three-image cycle",
    text: `${head}  a: {from: c}\n  b: {from: a}\n  c: {from: b}\n${base}`,
    code: "CYCLE",
    at: "3:13",
    path: "images.a.from",
  },
  {
    name: "uppercase image name",
    text: `${head}  Base:\n    from: debian:12\n`,
    code: "INVALID_IMAGE_NAME",
    at: "3:3",
    path: "images.Base",
  },
  {
    name: "image name with double dash start",
    text: `${head}  -base:\n    from: debian:12\n`,
    code: "INVALID_IMAGE_NAME",
    at: "3:3",
    path: "images.-base",
  },
  {
    name: "duplicate image",
    text: `${head}${base}${base}`,
    code: "DUPLICATE_KEY",
    at: "5:3",
    path: "images.base",
  },
  {
    name: "duplicate repository",
    text: `${head}${base}  other:\n    from: debian:12\n    repository: base\n`,
    code: "DUPLICATE_REF",
    at: "7:17",
    path: "images.other.repository",
  },
  {
    name: "bad repository override",
    text: `${head}  base:\n    from: debian:12\n    repository: Base\n`,
    code: "INVALID_IMAGE_NAME",
    at: "5:17",
    path: "images.base.repository",
  },
  {
    name: "steps and dockerfile",
    text: `${head}  base:\n    from: debian:12\n    steps: []\n    dockerfile: Dockerfile\n`,
    code: "STEPS_AND_DOCKERFILE",
    at: "6:17",
    path: "images.base.dockerfile",
  },
  {
    name: "buildArgs without dockerfile",
    text: `${head}  base:\n    from: debian:12\n    buildArgs: {A: b}\n`,
    code: "DOCKERFILE_ONLY",
    at: "5:16",
    path: "images.base.buildArgs",
  },
  {
    name: "dockerfile outside the repo",
    text: `${head}  base:\n    from: debian:12\n    dockerfile: ../../etc/Dockerfile\n`,
    code: "PATH_ESCAPES_REPO",
    at: "5:17",
    path: "images.base.dockerfile",
  },
  {
    name: "context outside the repo",
    text: `${head}  base:\n    from: debian:12\n    dockerfile: Dockerfile\n    context: a/../../b\n`,
    code: "PATH_ESCAPES_REPO",
    at: "6:14",
    path: "images.base.context",
  },
  {
    name: "absolute dockerfile",
    text: `${head}  base:\n    from: debian:12\n    dockerfile: /srv/Dockerfile\n`,
    code: "PATH_ABSOLUTE",
    at: "5:17",
    path: "images.base.dockerfile",
  },
  {
    name: "bad platform",
    text: `${head}  base:\n    from: debian:12\n    platforms: [linux/x86]\n`,
    code: "INVALID_PLATFORM",
    at: "5:17",
    path: "images.base.platforms.0",
  },
  {
    name: "empty platforms",
    text: `${head}  base:\n    from: debian:12\n    platforms: []\n`,
    code: "INVALID_VALUE",
    at: "5:16",
    path: "images.base.platforms",
  },
  {
    name: "child platform its parent lacks",
    text: `${head}${base}  child:\n    from: base\n    platforms: [linux/arm64]\n`,
    code: "PLATFORM_MISMATCH",
    at: "7:16",
    path: "images.child.platforms",
  },
  {
    name: "tag template unknown variable",
    text: `${head}  base:\n    from: debian:12\n    tags: ["{{commit}}"]\n`,
    code: "INVALID_TEMPLATE",
    at: "5:12",
    path: "images.base.tags.0",
  },
  {
    name: "tag template invalid tag",
    text: `${head}  base:\n    from: debian:12\n    tags: ["v/{{sha7}}"]\n`,
    code: "INVALID_TAG",
    at: "5:12",
    path: "images.base.tags.0",
  },
  {
    name: "capability with spaces",
    text: `${head}  base:\n    from: debian:12\n    provides: ["two words"]\n`,
    code: "INVALID_VALUE",
    at: "5:16",
    path: "images.base.provides.0",
  },
  {
    name: "unknown group member",
    text: `${head}${base}groups:\n  all: [base, bsae]\n`,
    code: "UNKNOWN_GROUP_MEMBER",
    at: "6:15",
    path: "groups.all.1",
    hint: /did you mean "base"/,
  },
  {
    name: "group named like an image",
    text: `${head}${base}groups:\n  base: [base]\n`,
    code: "GROUP_NAME_TAKEN",
    at: "6:9",
    path: "groups.base",
  },
  {
    name: "groups in a cycle",
    text: `${head}${base}groups:\n  a: [b]\n  b: [a]\n`,
    code: "CYCLE",
    at: "6:6",
    path: "groups.a",
  },
  {
    name: "runtime names an unknown image",
    text: `${head}${base}runtime:\n  session: bse\n`,
    code: "UNKNOWN_IMAGE",
    at: "6:12",
    path: "runtime.session",
    hint: /did you mean "base"/,
  },
  {
    name: "runtime provider unknown image",
    text: `${head}${base}runtime:\n  task:\n    providers: {claude: nope}\n`,
    code: "UNKNOWN_IMAGE",
    at: "7:25",
    path: "runtime.task.providers.claude",
  },
  {
    name: "defaults with unknown key",
    text: `schemaVersion: 1\ndefaults: {platform: [linux/amd64]}\nimages: {}\n`,
    code: "UNKNOWN_KEY",
    at: "2:12",
    path: "defaults.platform",
    hint: /did you mean "platforms"/,
  },
  {
    name: "__proto__ image",
    text: `${head}${base}  __proto__: {from: base}\n`,
    code: "RESERVED_KEY",
    at: "5:3",
    path: "images.__proto__",
  },
  {
    name: "constructor env key",
    text: `${head}${base}    steps: [{env: {constructor: x}}]\n`,
    code: "RESERVED_KEY",
    at: "5:20",
    path: "images.base.steps.0.env.constructor",
  },
  {
    name: "alias bomb",
    text: `schemaVersion: 1\na: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\nimages: {}\n`,
    code: "YAML_ALIAS_LIMIT",
    at: "3:8",
    path: "",
  },
  {
    name: "image name over 128 characters",
    text: `${head}  ${"n".repeat(129)}: {from: debian:12}\n`,
    code: "INVALID_IMAGE_NAME",
    at: "3:3",
    path: `images.${"n".repeat(129)}`,
  },
];

describe("bad catalogs give located, coded errors", () => {
  it.each(catalogCases)("$name → $code at $at", (c) => {
    const result = validateCatalogText("catalog.yaml", c.text);
    expect(result.value).toBeUndefined();
    expectFirstError(result.errors, c, "catalog.yaml");
  });

  it("reports every problem at once, in file order", () => {
    const text = `${head}  a:\n    from: bse\n    stepz: []\n  Bad: {from: debian:12}\ngroups:\n  g: [nope]\n`;
    const codes = validateCatalogText("catalog.yaml", text).errors.map(
      (e) => `${e.line}:${e.code}`,
    );
    expect(codes).toEqual([
      "4:UNKNOWN_PARENT",
      "5:UNKNOWN_KEY",
      "6:INVALID_IMAGE_NAME",
      "8:UNKNOWN_GROUP_MEMBER",
    ]);
  });

  it("names the cycle in build order", () => {
    const text = `${head}  a: {from: b}\n  b: {from: a}\n`;
    expect(validateCatalogText("catalog.yaml", text).errors[0]?.message).toContain("a → b → a");
  });

  it("checks the files an image names when asked", () => {
    const text = `${head}  base:\n    from: debian:12\n    dockerfile: docker/Dockerfile\n`;
    const errors = validateCatalogText("catalog.yaml", text, () => undefined).errors;
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ["FILE_NOT_FOUND", "images.base.dockerfile"],
    ]);
  });
});

const pipelineCases: Case[] = [
  {
    name: "unknown key",
    text: "schemaVersion: 1\ntarget: [all]\n",
    code: "UNKNOWN_KEY",
    at: "2:1",
    path: "target",
    hint: /did you mean "targets"/,
  },
  {
    name: "ttl too long",
    text: "schemaVersion: 1\npush: {registry: ttl.sh, ttl: 48h}\n",
    code: "INVALID_TTL",
    at: "2:31",
    path: "push.ttl",
  },
  {
    name: "ttl malformed",
    text: "schemaVersion: 1\npush: {registry: ttl.sh, ttl: soon}\n",
    code: "INVALID_VALUE",
    at: "2:31",
    path: "push.ttl",
  },
  {
    name: "concurrency zero",
    text: "schemaVersion: 1\nconcurrency: 0\n",
    code: "INVALID_VALUE",
    at: "2:14",
    path: "concurrency",
  },
  {
    name: "latest policy unknown",
    text: "schemaVersion: 1\ntags: {latest: sometimes}\n",
    code: "INVALID_VALUE",
    at: "2:16",
    path: "tags.latest",
  },
  {
    name: "source path escapes",
    text: "schemaVersion: 1\nsources:\n  - path: ../other\n",
    code: "PATH_ESCAPES_REPO",
    at: "3:11",
    path: "sources.0.path",
  },
  {
    name: "bad base image",
    text: "schemaVersion: 1\nbaseImages: {node: 'Registry/Node'}\n",
    code: "INVALID_REFERENCE",
    at: "2:20",
    path: "baseImages.node",
  },
  {
    name: "push target no registry takes",
    text: "schemaVersion: 1\npush:\n  registry: ftp://somewhere\n",
    code: "INVALID_PUSH_TARGET",
    at: "3:13",
    path: "push.registry",
  },
  {
    name: "prototype as a baseImages key",
    text: "schemaVersion: 1\nbaseImages:\n  prototype: debian:12\n",
    code: "RESERVED_KEY",
    at: "3:3",
    path: "baseImages.prototype",
  },
];

describe("bad pipelines give located, coded errors", () => {
  it.each(pipelineCases)("$name → $code at $at", (c) => {
    const result = validatePipelineText("pipelines/default.yaml", c.text);
    expectFirstError(result.errors, c, "pipelines/default.yaml");
  });

  it("names the pipeline after its file by default", () => {
    expect(validatePipelineText("pipelines/nightly.yaml", "schemaVersion: 1\n").value?.name).toBe(
      "nightly",
    );
  });
});

describe("catalog and pipeline text must be UTF-8", () => {
  const decode = (bytes: number[]) => decodeConfigText("c.yaml", Uint8Array.from(bytes));
  const ascii = (text: string) => [...Buffer.from(text)];

  it("accepts UTF-8, with or without a byte order mark", () => {
    expect(decode(ascii("a: é\n"))).toEqual({ ok: true, text: "a: é\n" });
    expect(decode([0xef, 0xbb, 0xbf, ...ascii("a: 1\n")])).toEqual({ ok: true, text: "a: 1\n" });
  });

  it.each([
    ["UTF-16 LE", [0xff, 0xfe, 0x61, 0x00], "1:1"],
    ["UTF-16 BE", [0xfe, 0xff, 0x00, 0x61], "1:1"],
    ["Latin-1 é on line 2", [...ascii("a: 1\nb: caf"), 0xe9, 0x0a], "2:7"],
    ["a lead byte then ASCII", [...ascii("x: "), 0xef, 0x76, 0x65], "1:4"],
    ["an overlong slash", [...ascii("x: "), 0xc0, 0xaf], "1:4"],
    ["an encoded surrogate", [...ascii("é: "), 0xed, 0xa0, 0x80], "1:4"],
  ])("%s → NOT_UTF8 at %s", (_, bytes, at) => {
    const result = decode(bytes as number[]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("NOT_UTF8");
    expect(`${result.error.line}:${result.error.column}`).toBe(at);
  });

  it("refuses raw control characters where they are", () => {
    const result = decode(ascii("a: 1\nb: \u0007\n"));
    expect(
      result.ok ? undefined : [result.error.code, result.error.line, result.error.column],
    ).toEqual(["CONTROL_CHARACTER", 2, 4]);
  });
});
