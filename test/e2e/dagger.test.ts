import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDaggerCli, hasDaggerSession } from "../../src/engine/dagger/locate.js";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { conformanceCatalog } from "./catalog-fixture.js";
import {
  buildArgs,
  type E2EEnv,
  e2eEnv,
  hiltRun,
  type Run,
  registryDigest,
  uniqueName,
} from "./env.js";

const env = e2eEnv();
const engine = hasDaggerSession(process.env) || findDaggerCli(process.env) !== undefined;
if (!engine) {
  console.warn(
    "dagger backend conformance NOT RUN: no Dagger engine here (no `dagger run` session, no dagger CLI)",
  );
}

// The same checks as the docker suite, on the dagger backend; counted as skipped, never passed,
// where no engine can be reached.
describe.skipIf(!env || !engine)("dagger backend conformance (real engine)", () => {
  const e = env as E2EEnv;
  const push = `${e?.registry}/${uniqueName("dagger")}`;
  let repo: string;
  let cold: Run;
  const run = () =>
    hiltRun(
      [...buildArgs(e, push), "--engine", "dagger"],
      repo,
      process.env as Record<string, string>,
    );

  beforeAll(() => {
    repo = tempRepo({ "catalog.yaml": conformanceCatalog({ nonce: uniqueName("n") }) }, afterAll);
    cold = run();
  });

  it("builds parent → child in one session and pushes digests the registry confirms", async () => {
    expect(cold.status, cold.stderr).toBe(0);
    const result = resultSchema.parse(cold.json);
    expect(result.engine).toBe("dagger");
    for (const image of result.images)
      for (const ref of image.refs) expect(await registryDigest(ref)).toBe(image.digest);
  });

  it("reports everything cached on a rerun", () => {
    const again = run();
    expect(again.json.images.every((i: { status: string }) => i.status === "cached")).toBe(true);
  });
});
