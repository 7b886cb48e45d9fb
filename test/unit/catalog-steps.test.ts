// Step text that goes into one rendered Dockerfile instruction: what would end it (a newline) or
// add a flag to it (a leading -, a space in user or chown) is refused, located, with the fix.
import { describe, expect, it } from "vitest";
import { validateCatalogText } from "../../src/model/load-catalog.js";
import { renderStepsDockerfile } from "../../src/render/dockerfile.js";
import { planOf } from "../helpers/catalog.js";

const catalogWith = (...steps: string[]) => `schemaVersion: 1
images:
  a:
    from: debian:12
    steps:
${steps.map((s) => `      - ${s}`).join("\n")}
`;

const errorsOf = (...steps: string[]) =>
  validateCatalogText("catalog.yaml", catalogWith(...steps)).errors.map((e) => ({
    path: e.path,
    code: e.code,
    message: e.message,
    hint: e.hint,
  }));

describe("run steps", () => {
  it("refuses a command that Docker would read as a flag of RUN", () => {
    const [error] = errorsOf('run: "--mount=type=secret,id=npmrc,target=/x cp /x /leak"');
    expect(error).toMatchObject({ path: "images.a.steps.0.run", code: "INVALID_RUN" });
    expect(error?.message).toContain("starts with -");
  });

  it("refuses lines that would be instructions of their own, in a string or a list", () => {
    const errors = errorsOf(
      'run: "true\\nRUN --mount=type=secret,id=npmrc,target=/x cat /x"',
      'run: [ok, "a\\rb"]',
      "run: |\n          echo one\n          echo two",
    );
    expect(errors.map((e) => e.path)).toEqual([
      "images.a.steps.0.run",
      "images.a.steps.1.run.1",
      "images.a.steps.2.run",
    ]);
    for (const e of errors) {
      expect(e.code).toBe("INVALID_RUN");
      expect(e.hint).toContain("write a list of commands");
    }
    expect(errorsOf('run: "a\\u0000b"')[0]?.message).toBe("the command holds a control character");
  });

  it("takes continued lines, a block scalar's last newline and tabs", () => {
    const steps = [
      "run: |\n          apt-get update \\\n            && echo done",
      "run: \"printf 'a\\tb'\"",
      "run: >-\n          echo folded\n          into one line",
    ];
    expect(errorsOf(...steps)).toEqual([]);
    const node = planOf(catalogWith(...steps)).nodes[0];
    const text = node ? renderStepsDockerfile(node, "debian:12") : "";
    expect(text).toContain("RUN apt-get update \\\n  && echo done\nRUN printf");
  });
});

describe("workdir, user and copy's chown", () => {
  it("refuses a newline, and a space where it would start another flag", () => {
    const errors = errorsOf(
      'workdir: "/x\\nRUN id"',
      'user: "agent --chown"',
      'copy: { src: a, dest: /b, chown: "1000 --from=other" }',
    );
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ["images.a.steps.0.workdir", "INVALID_VALUE"],
      ["images.a.steps.1.user", "INVALID_VALUE"],
      ["images.a.steps.2.copy.chown", "INVALID_VALUE"],
    ]);
    expect(errors[1]?.message).toBe('"agent --chown" holds a space');
    expect(errors[2]?.hint).toContain("user[:group]");
  });

  it("still takes paths with spaces and uid:gid", () => {
    expect(
      errorsOf("workdir: /my dir", "user: 1000:1000", "copy: { src: a, dest: /b, chown: agent }"),
    ).toEqual([]);
  });
});
