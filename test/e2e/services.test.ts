import { spawnSync } from "node:child_process";
import { cpSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { hilt, tempRepo } from "../helpers/cli.js";
import { answerOnPort } from "./answer-on-port.js";
import {
  docker,
  type E2EEnv,
  e2eEnv,
  hiltRun,
  REPO_ROOT,
  type Run,
  registryDigest,
  uniqueName,
} from "./env.js";

const env = e2eEnv();
const EXAMPLES = ["client-server", "pnpm-service", "python-api", "go-service", "monorepo"];
// What each service answers on, by image name.
const PROBES: Record<string, string> = {
  "client-server-client": "/",
  "client-server-server": "/health",
  "pnpm-service": "/",
  "python-api": "/",
  "go-service": "/",
  "monorepo-api": "/",
  "monorepo-web": "/",
};

function baseImageArgs(e: E2EEnv): string[] {
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
  return ["node", "python", "golang", "busybox", "debian"].flatMap((n) => [
    "--base-image",
    `${n}=${prefix}/${n}`,
  ]);
}

describe.skipIf(!env)("example services: detected, generated, built, pushed and run", () => {
  const e = env as E2EEnv;
  const push = `${e?.registry}/${uniqueName("examples")}`;
  let first: Run;
  const build = () =>
    hiltRun(
      [
        "build",
        ...EXAMPLES.map((x) => path.join(REPO_ROOT, "examples", x)),
        "--json",
        "--events",
        "--push",
        push,
        ...baseImageArgs(e),
      ],
      REPO_ROOT,
    );

  beforeAll(() => {
    first = build();
  });

  it("builds every example service and pushes digests the registry confirms", async () => {
    expect(first.status, first.stderr).toBe(0);
    const result = resultSchema.parse(first.json);
    expect(result.images.map((i) => i.name).sort()).toEqual(Object.keys(PROBES).sort());
    for (const image of result.images) {
      expect(image.kind).toBe("service");
      expect(image.status).toBe("built");
      expect(await registryDigest(image.refs[0] ?? "")).toBe(image.digest);
    }
    expect(result.ports).toMatchObject({
      "client-server-server": 4000,
      "go-service": 8090,
      "python-api": 8000,
    });
  });

  it("never writes generated files into the examples", () => {
    const status = spawnSync("git", ["status", "--porcelain", "examples"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(status.stdout).toBe("");
  });

  it.each(Object.entries(PROBES))("%s answers on its detected port", async (name, urlPath) => {
    const result = resultSchema.parse(first.json);
    const image = result.images.find((i) => i.name === name);
    const port = result.ports[name];
    expect(port, `no port for ${name}`).toBeDefined();
    const answer = await answerOnPort(image?.refs[0] ?? "", port as number, urlPath);
    expect(answer.status, answer.body).toBe(200);
  });

  it("rebuilds nothing when nothing changed", () => {
    const again = build();
    expect(again.status, again.stderr).toBe(0);
    expect(resultSchema.parse(again.json).images.every((i) => i.status === "cached")).toBe(true);
  });
});

describe.skipIf(!env)("role-switch mode", () => {
  const e = env as E2EEnv;
  let repo: string;
  beforeAll(() => {
    repo = tempRepo({}, afterAll);
    cpSync(path.join(REPO_ROOT, "examples/client-server"), repo, { recursive: true });
    expect(hilt(["generate", repo, "--roles"]).status).toBe(0);
  });

  it.each([
    ["server", 4000, "/health"],
    ["client", 8080, "/"],
  ])("builds the %s role from the one Dockerfile and it answers", async (role, port, urlPath) => {
    const tag = `${uniqueName("roles")}:${role}`;
    const npmrc = path.join(repo, ".npmrc-e2e");
    spawnSync("sh", [
      "-c",
      `printf 'registry=https://registry.npmjs.org/\\ncafile=/run/secrets/hilt-ca.pem\\n' > ${npmrc}`,
    ]);
    const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
    const built = docker([
      "buildx",
      "build",
      "--load",
      "-t",
      tag,
      "--build-arg",
      `ROLE=${role}`,
      "--build-arg",
      `NODE_IMAGE=${prefix}/node:20-bookworm-slim`,
      "--secret",
      `id=npmrc,src=${npmrc}`,
      "--secret",
      "id=ca,src=/etc/ssl/certs/ca-certificates.crt",
      repo,
    ]);
    expect(built.status, built.stderr.slice(-2000)).toBe(0);
    const answer = await answerOnPort(tag, port, urlPath);
    expect(answer.status).toBe(200);
    expect(spawnSync("sh", ["-n", path.join(repo, `scripts/run_${role}.sh`)]).status).toBe(0);
  });
});
