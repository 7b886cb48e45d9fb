import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempRepo } from "../helpers/cli.js";
import { docker, e2eEnv, hiltRun } from "./env.js";

const env = e2eEnv();

describe.skipIf(!env)("hilt export bake of a repository, built by docker buildx bake", () => {
  const built: string[] = [];
  afterAll(() => {
    for (const ref of built) docker(["rmi", "-f", ref]);
  });

  it("writes a bake file whose paths exist and which bakes a service that answers", async () => {
    // No dependencies at all: the generated Dockerfile must not copy a node_modules that is not.
    const repo = tempRepo(
      {
        "package.json": JSON.stringify({ name: "bare", scripts: { start: "node server.js" } }),
        "server.js":
          'require("node:http").createServer((q, s) => s.end("baked")).listen(process.env.PORT || 3000);\n',
      },
      afterAll,
    );
    const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${env?.registry}/library`;
    const file = path.join(repo, "..", `${path.basename(repo)}-bake.json`);
    const exported = hiltRun(
      ["export", "bake", repo, "-o", file, "--base-image", `node=${prefix}/node`, "--json"],
      repo,
    );
    expect(exported.status, exported.stderr).toBe(0);
    const bake = JSON.parse(readFileSync(file, "utf8")) as {
      target: Record<string, { context: string; tags: string[]; "dockerfile-inline"?: string }>;
    };
    const [target] = Object.values(bake.target);
    expect(target?.context).toBe(repo);
    expect(target?.["dockerfile-inline"]).toMatch(/^FROM /m);

    const baked = docker(["buildx", "bake", "-f", file, "--load"]);
    expect(baked.status, baked.stderr.slice(-3000)).toBe(0);
    const ref = target?.tags[0] as string;
    built.push(...(target?.tags ?? []));
    const run = docker(["run", "-d", "-p", "127.0.0.1::3000", ref]);
    const id = run.stdout.trim();
    try {
      const port = docker(["port", id, "3000/tcp"]).stdout.trim().split(":").pop();
      let body = "";
      for (let i = 0; i < 40 && body === ""; i++) {
        body = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.text())
          .catch(async () => {
            await new Promise((r) => setTimeout(r, 500));
            return "";
          });
      }
      expect(body).toBe("baked");
    } finally {
      docker(["rm", "-f", id]);
    }
  });
});
