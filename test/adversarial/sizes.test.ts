// Hostile size budgets and mirrors (issue 14): sizes that overflow, are negative or are shell
// text, a mirror that names no step, a step id that tries to be a path. Each is a coded config
// error before anything is built or looked up: one JSON document on stdout, nothing written.
import { describe, expect, it } from "vitest";
import { box, expectFailure } from "./cli-contract.js";

const image = (extra: string) =>
  `schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n${extra}`;

interface Case {
  name: string;
  catalog: string;
  pipeline?: string;
  code: string;
  says: RegExp;
}

const cases: Case[] = [
  {
    name: "a maxSize too large for a safe integer",
    catalog: image("    maxSize: 99999999999999999999TB\n"),
    code: "INVALID_SIZE",
    says: /images\.base\.maxSize: "99999999999999999999TB" is not a size/,
  },
  {
    name: "a negative maxSize",
    catalog: image("    maxSize: -300\n"),
    code: "INVALID_SIZE",
    says: /is not a size/,
  },
  {
    name: "a maxSize that is a shell command",
    catalog: image('    maxSize: "$(touch /tmp/pwned)MB"\n'),
    code: "INVALID_SIZE",
    says: /is not a size/,
  },
  {
    name: "overBudget without maxSize",
    catalog: image("    overBudget: warn\n"),
    code: "NO_MAX_SIZE",
    says: /no maxSize/,
  },
  {
    name: "a step id that is a path",
    catalog: image("    steps:\n      - { id: ../../etc, run: 'true' }\n"),
    code: "INVALID_VALUE",
    says: /is not a step id/,
  },
  {
    name: "a pipeline mirror that names no step",
    catalog: image("    steps:\n      - { id: fetch, run: 'true' }\n"),
    pipeline: "schemaVersion: 1\ntargets: [base]\nmirrors:\n  base.nope: { run: 'true' }\n",
    code: "UNKNOWN_MIRROR",
    says: /mirrors: base\.nope name no step of catalog\.yaml/,
  },
];

describe("hostile size budgets and mirrors", () => {
  it.each(cases)("$name", (c) => {
    const b = box({
      "catalog.yaml": c.catalog,
      ...(c.pipeline ? { "pipelines/default.yaml": c.pipeline } : {}),
    });
    const { doc } = expectFailure(b, ["plan", "--json", "--offline"], { exit: 3, code: c.code });
    expect(`${doc.error.message}\n${JSON.stringify(doc)}`).toMatch(c.says);
  });
});
