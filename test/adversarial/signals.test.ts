import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import {
  BUILD_ARGS,
  leftovers,
  type SlowBuild,
  sleepers,
  slowBuild,
  spawnHilt,
  until,
} from "./slow-build.js";

const TOKEN = "npm_SIGNALS_t0ken_must_not_leak";

/** Starts a build, waits for its long step, sends `signals` (100 ms apart), and checks the end. */
async function interrupted(build: SlowBuild, signals: NodeJS.Signals[], args = BUILD_ARGS) {
  const run = spawnHilt(args, build);
  await until(() => sleepers(build.mark).length === 2);
  for (const signal of signals) {
    run.child.kill(signal);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

function expectCleanEnd(
  build: SlowBuild,
  out: { code: number | null; stdout: string; stderr: string },
) {
  expect(out.code).toBe(130);
  // Exactly one JSON document on stdout: the partial result.
  const result = resultSchema.parse(JSON.parse(out.stdout));
  expect(result.ok).toBe(false);
  expect(result.error?.code).toBe("INTERRUPTED");
  expect(result.images[0]?.status).toMatch(/failed|skipped/);
  // No build step left running, no temporary folder (npmrc, docker-config) left behind.
  expect(sleepers(build.mark)).toEqual([]);
  expect(leftovers(build.tmp)).toEqual([]);
  expect(out.stdout + out.stderr).not.toContain(TOKEN);
}

// Each case starts Hilt from its sources and waits for a build: slow on a loaded machine.
describe("signals during a build (a docker stand-in runs the long step)", {
  timeout: 180_000,
}, () => {
  it.each([["SIGINT"], ["SIGTERM"], ["SIGHUP"]] as const)(
    "%s: exit 130, the partial JSON, children ended, temporary files removed",
    async (signal) => {
      const build = slowBuild();
      build.env.NPM_TOKEN = TOKEN;
      expectCleanEnd(build, await interrupted(build, [signal]));
    },
  );

  it("a second Ctrl-C hurries the cleanup but does not skip it", async () => {
    const build = slowBuild({ trapTerm: true });
    const out = await interrupted(build, ["SIGINT", "SIGINT"]);
    expectCleanEnd(build, out);
    expect(out.stderr).toContain("SIGINT again: ending child processes now");
  });

  it("SIGINT then SIGTERM: one report, no leftovers", async () => {
    const build = slowBuild();
    expectCleanEnd(build, await interrupted(build, ["SIGINT", "SIGTERM"]));
  });

  it("a step that ignores SIGTERM is killed after the grace period", async () => {
    const build = slowBuild({ trapTerm: true });
    expectCleanEnd(build, await interrupted(build, ["SIGTERM"]));
  });

  it("three quick signals still give one JSON document", async () => {
    const build = slowBuild();
    expectCleanEnd(build, await interrupted(build, ["SIGINT", "SIGINT", "SIGINT"]));
  });

  it("Ctrl-C after the secrets were written, before any build started: nothing left", async () => {
    const build = slowBuild();
    build.env.NPM_TOKEN = TOKEN;
    const run = spawnHilt(BUILD_ARGS, build);
    await until(() => leftovers(build.tmp).some((name) => name.startsWith("hilt-secrets-")));
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expectCleanEnd(build, { code, stdout: run.stdout(), stderr: run.stderr() });
  });

  it("--timeout ends the step like a signal, with the partial JSON", async () => {
    const build = slowBuild();
    const run = spawnHilt([...BUILD_ARGS, "--timeout", "20"], build);
    const { code } = await run.exited;
    expectCleanEnd(build, { code, stdout: run.stdout(), stderr: run.stderr() });
  });

  it("child processes never see the tokens; the catalog image's npmrc is a secret file", async () => {
    const build = slowBuild();
    build.env.NPM_TOKEN = TOKEN;
    build.env.NODE_AUTH_TOKEN = TOKEN;
    build.env.GITHUB_TOKEN = TOKEN;
    const out = await interrupted(build, ["SIGTERM"]);
    expectCleanEnd(build, out);
    expect(readFileSync(path.join(build.record, "env"), "utf8")).not.toContain(TOKEN);
  });
});

// Each case starts Hilt from its sources and waits for a build: slow on a loaded machine.
describe("what builds receive (item 4: credentials reaching untrusted code)", {
  timeout: 180_000,
}, () => {
  const service = {
    "app/package.json": JSON.stringify({
      name: "app",
      version: "1.0.0",
      scripts: { start: "node index.js", preinstall: "cp /root/.npmrc /leak" },
    }),
    "app/index.js": "console.log(1)\n",
  };
  const serviceArgs = ["build", "./app", ...BUILD_ARGS.slice(1)];

  async function recorded(build: SlowBuild, args: string[]) {
    build.env.NPM_TOKEN = TOKEN;
    const out = await interrupted(build, ["SIGINT"], args);
    expectCleanEnd(build, out);
    return readFileSync(path.join(build.record, "secrets"), "utf8");
  }

  it("a detected repository's build gets the registry, not the token", async () => {
    const build = slowBuild({ files: service });
    const secrets = await recorded(build, serviceArgs);
    expect(secrets).toContain("registry=");
    expect(secrets).not.toContain(TOKEN);
    expect(secrets).not.toContain("_authToken");
  });

  it("--build-secrets opts a repository's build in to the token", async () => {
    const build = slowBuild({ files: service });
    expect(await recorded(build, [...serviceArgs, "--build-secrets"])).toContain(
      `_authToken=${TOKEN}`,
    );
  });

  it("catalog images (trusted) keep the token", async () => {
    const build = slowBuild();
    expect(await recorded(build, BUILD_ARGS)).toContain(`_authToken=${TOKEN}`);
  });
});
