import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DockerBackend } from "../../src/engine/docker/backend.js";
import { planOf } from "../helpers/catalog.js";
import { tempRepo } from "../helpers/cli.js";

let ownTmp: string;
let savedTmp: string | undefined;
beforeEach(() => {
  savedTmp = process.env.TMPDIR;
  ownTmp = mkdtempSync(path.join(tmpdir(), "hilt-workdir-test-"));
  process.env.TMPDIR = ownTmp;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(ownTmp, { recursive: true, force: true });
});

describe("docker backend work folder", () => {
  it("is gone after close even when a build was still writing its files (an interrupt)", async () => {
    const node = planOf(
      "schemaVersion: 1\nimages:\n  slow: {from: 'debian:12', steps: [{run: 'true'}]}\n",
    ).nodes[0];
    if (!node) throw new Error("no node");
    const root = tempRepo({});
    for (let i = 0; i < 20; i++) {
      const backend = new DockerBackend({
        run: async () => ({ exitCode: 1, signal: null, stdout: "", stderr: "interrupted" }),
      });
      const build = backend
        .build({
          node,
          root,
          baseRef: "debian:12",
          tags: node.refs.immutable,
          push: true,
          noCache: false,
          secrets: {},
          sourceDateEpoch: 0,
          signal: AbortSignal.abort(),
          log: () => {},
        })
        .catch(() => undefined);
      // The run's finally closes the backend while the build is between mkdtemp and mkdir -p.
      await new Promise((r) => setImmediate(r));
      await Promise.all([backend.close(), build]);
      expect(readdirSync(ownTmp).filter((n) => n.startsWith("hilt-docker-"))).toEqual([]);
    }
  });
});
