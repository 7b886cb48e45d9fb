import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempRepo } from "../helpers/cli.js";
import { box, expectFailure } from "./cli-contract.js";

const CATALOG = "schemaVersion: 1\nimages:\n  app:\n    from: debian:bookworm-slim\n";

/** A stand-in `dagger` CLI outside the box: `script` runs as its `session` command. */
function fakeDagger(script: string): { bin: string; dir: string } {
  const dir = tempRepo({});
  const bin = path.join(dir, "dagger");
  writeFileSync(bin, `#!/bin/sh\necho $$ > "${dir}/pid"\nenv > "${dir}/env"\n${script}\n`);
  chmodSync(bin, 0o755);
  return { bin, dir };
}

/** The box, with npm's own log folder kept outside it (Hilt asks `npm config get registry`). */
function daggerBox() {
  const b = box({ "catalog.yaml": CATALOG });
  b.env.npm_config_cache = tempRepo({});
  return b;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a dagger CLI that does not behave", () => {
  it("prints no connection parameters and hangs: exit 4 at once, its process ended", () => {
    const fake = fakeDagger("echo 'not json at all'\nexec sleep 600");
    const b = daggerBox();
    b.env.HILT_DAGGER_BIN = fake.bin;
    const { doc } = expectFailure(b, ["build-all", "--engine", "dagger", "--json"], {
      exit: 4,
      code: "ENGINE_UNAVAILABLE",
    });
    expect(doc.error.message).toMatch(/connection parameters/);
    const pid = Number(readFileSync(path.join(fake.dir, "pid"), "utf8"));
    expect(alive(pid)).toBe(false);
  });

  it("cannot reach an engine: exit 4; registry password and npm token never reach it or the output", () => {
    const fake = fakeDagger("echo 'Error: failed to connect to the engine' >&2\nexit 1");
    const b = daggerBox();
    const password = "pw-adversarial-7f3a";
    const token = "npm-adversarial-91c2";
    Object.assign(b.env, {
      HILT_DAGGER_BIN: fake.bin,
      HILT_REGISTRY_PASSWORD: password,
      NPM_TOKEN: token,
    });
    const { doc } = expectFailure(
      b,
      ["build-all", "--engine", "dagger", "--json", "--push", "127.0.0.1:9/nowhere"],
      { exit: 5, code: "REGISTRY_UNAVAILABLE", secrets: [password, token] },
    );
    expect(doc.error.message).toContain("127.0.0.1:9");
    // The registry check comes first; without --push the engine itself is what fails.
    const local = expectFailure(b, ["build-all", "--engine", "dagger", "--json"], {
      exit: 4,
      code: "ENGINE_UNAVAILABLE",
      secrets: [password, token],
    });
    expect(local.doc.error.message).toContain("failed to connect to the engine");
    const env = readFileSync(path.join(fake.dir, "env"), "utf8");
    expect(env).not.toContain(password);
    expect(env).not.toContain(token);
    expect(env).toMatch(/^DO_NOT_TRACK=1$/m);
  });

  it("is a directory, not a program: exit 4 with a hint, no stack trace", () => {
    const dir = tempRepo({ "dagger/.keep": "" });
    const b = daggerBox();
    b.env.HILT_DAGGER_BIN = path.join(dir, "dagger");
    expect(existsSync(b.env.HILT_DAGGER_BIN)).toBe(true);
    const { doc } = expectFailure(b, ["build-all", "--engine", "dagger", "--json"], {
      exit: 4,
      code: "ENGINE_UNAVAILABLE",
    });
    expect(doc.error.hint).toMatch(/HILT_DAGGER_BIN/);
  });
});
