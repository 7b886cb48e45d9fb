import { describe, expect, it } from "vitest";
import { findDaggerCli, hasDaggerSession } from "../../src/engine/dagger/locate.js";
import { engineAnswers } from "../../src/engine/dagger/session.js";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { e2eEnv, registryDigest, uniqueName } from "./env.js";

// `dagger call` needs the engine's built-in TypeScript SDK, which a hand-built engine lacks; the
// module class is exercised the next closest way: its functions called inside connection(),
// with the repository as a Directory of that session.
const engine =
  hasDaggerSession(process.env) ||
  (findDaggerCli(process.env) !== undefined && (await engineAnswers(process.env)));
const env = e2eEnv();
if (!engine) console.warn("Hilt Dagger module against an engine NOT RUN: no engine answers here");

describe.skipIf(!engine || !env)(
  "the Hilt module class against a real engine (not run where no engine answers)",
  () => {
    it("validate, plan and buildAll through the SDK, the repository as a Directory", async () => {
      const e = env as NonNullable<typeof env>;
      const nonce = uniqueName("mod");
      const repo = tempRepo({
        "catalog.yaml": `schemaVersion: 1\nimages:\n  base:\n    from: ${e.baseImage}\n    steps:\n      - run: echo ${nonce} > /n\n  child:\n    from: base\n    steps:\n      - run: cat /n > /m\n`,
      });
      const { connection, dag } = await import("@dagger.io/dagger");
      const { Hilt } = await import("../../src/dagger/module.js");
      const push = `${e.registry}/${uniqueName("module")}`;
      let validated = "";
      let planned = "";
      let built = "";
      await connection(async () => {
        const source = dag.host().directory(repo);
        const hilt = new Hilt();
        validated = await hilt.validate(source);
        planned = await hilt.plan(source, [], undefined, push, undefined, ["linux/amd64"]);
        built = await hilt.buildAll(source, undefined, push, undefined, ["linux/amd64"]);
      });
      expect(JSON.parse(validated)).toMatchObject({ ok: true });
      expect(JSON.parse(planned).nodes.map((n: { name: string }) => n.name)).toEqual([
        "base",
        "child",
      ]);
      const result = resultSchema.parse(JSON.parse(built));
      expect(result.ok).toBe(true);
      expect(result.engine).toBe("dagger");
      expect(result.images.map((i) => i.status)).toEqual(["built", "built"]);
      for (const image of result.images)
        for (const ref of image.refs) expect(await registryDigest(ref), ref).toBe(image.digest);
    });
  },
);
