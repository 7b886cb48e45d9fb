// Hostile steps: prune patterns that would leave the global node_modules or reach the shell, and
// text (packages, run, workdir, user) that would end the rendered Dockerfile instruction or add
// a flag to it. Each is a located
// diagnostic with exit 3 (validate and plan alike); stdout is one JSON document, nothing written.
import { describe, expect, it } from "vitest";
import { box, expectFailure } from "./cli-contract.js";

const catalog = (npm: string) => `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - npm: ${npm}
`;

const step = (text: string) => catalog("[x]").replace("- npm: [x]", text);

const prune = (pattern: string) =>
  catalog(`{ packages: [x], prune: [${JSON.stringify(pattern)}] }`);

const cases: { name: string; text: string; code: string; path?: string }[] = [
  {
    name: "a parent-folder escape",
    text: prune("opencode-ai/../../../etc"),
    code: "INVALID_PRUNE",
  },
  { name: "an absolute path", text: prune("/usr/local/bin/node"), code: "INVALID_PRUNE" },
  { name: "a dot glob that matches ..", text: prune("opencode-ai/.*/x"), code: "INVALID_PRUNE" },
  { name: "command substitution", text: prune("$(touch /tmp/pwned)"), code: "INVALID_PRUNE" },
  { name: "a backquoted command", text: prune("`id`"), code: "INVALID_PRUNE" },
  { name: "a second command", text: prune("x; rm -rf /"), code: "INVALID_PRUNE" },
  { name: "a newline in a pattern", text: prune("x\nRUN id"), code: "INVALID_PRUNE" },
  { name: "a quote in a pattern", text: prune("x'y"), code: "INVALID_PRUNE" },
  {
    name: "a newline in a package (a new Dockerfile instruction)",
    text: catalog('["x\\nRUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc"]'),
    code: "INVALID_PACKAGE",
    path: "images.base.steps.0.npm.0",
  },
  {
    name: "a run command that is a RUN flag (a secret mount)",
    text: step('- run: "--mount=type=secret,id=npmrc,target=/x cp /x /leak"'),
    code: "INVALID_RUN",
    path: "images.base.steps.0.run",
  },
  {
    name: "a run command whose second line is an instruction",
    text: step('- run: "true\\nRUN --network=host curl http://169.254.169.254/"'),
    code: "INVALID_RUN",
    path: "images.base.steps.0.run",
  },
  {
    name: "a workdir whose second line is an instruction",
    text: step('- workdir: "/x\\nRUN id"'),
    code: "INVALID_VALUE",
    path: "images.base.steps.0.workdir",
  },
  {
    name: "a user with a second flag",
    text: step('- user: "agent --chown=0"'),
    code: "INVALID_VALUE",
    path: "images.base.steps.0.user",
  },
];

describe("hostile catalog steps", () => {
  // `plan` (the path programs take) for the first case only: each CLI start costs CI time.
  it.each(cases)("$name: exit 3, located at the step", ({ text, code, ...c }) => {
    const b = box({ "catalog.yaml": text });
    const plan = c.name === cases[0]?.name ? [["plan", "--json"]] : [];
    for (const args of [["validate", "--json"], ...plan]) {
      const { doc } = expectFailure(b, args, { exit: 3, code });
      const first = (doc as unknown as { diagnostics: { line: number; path: string }[] })
        .diagnostics[0];
      expect(first?.line).toBe(6);
      expect(first?.path).toBe(c.path ?? "images.base.steps.0.npm.prune.0");
    }
  });
});
