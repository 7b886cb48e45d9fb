import { spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import {
  buildArgs,
  docker,
  type E2EEnv,
  e2eEnv,
  hiltRun,
  hiltRunAsync,
  registryDigest,
  uniqueName,
} from "./env.js";

const env = e2eEnv();

const catalog = (nonce: string) => `schemaVersion: 1
images:
  app:
    from: debian:bookworm-slim
    steps:
      - run: echo ${nonce} > /nonce
`;

describe.skipIf(!env)("registries: auth, secrets, retries", () => {
  const e = env as E2EEnv;
  let home: string;
  beforeAll(() => {
    home = tempRepo({}, afterAll); // an empty HOME: no docker config to fall back on
  });

  it("refuses an auth registry without credentials, clearly and before building", () => {
    const repo = tempRepo({ "catalog.yaml": catalog(uniqueName("x")) });
    const run = hiltRun(buildArgs(e, `${e.authRegistry}/${uniqueName("auth")}`), repo, {
      HOME: home,
    });
    expect(run.status).toBe(5);
    const result = resultSchema.parse(run.json);
    expect(result.error).toMatchObject({ code: "REGISTRY_AUTH_FAILED" });
    expect(result.error?.hint).toMatch(/HILT_REGISTRY_USERNAME/);
    expect(run.events.some((ev) => ev.event === "started")).toBe(false);
  });

  it("pushes with credentials, and the password appears nowhere", async () => {
    const repo = tempRepo({ "catalog.yaml": catalog(uniqueName("x")) });
    const push = `${e.authRegistry}/${uniqueName("auth")}`;
    const run = hiltRun(buildArgs(e, push), repo, {
      HOME: home,
      HILT_DEBUG: "1",
      HILT_REGISTRY_USERNAME: e.authUser,
      HILT_REGISTRY_PASSWORD: e.authPassword,
    });
    expect(run.status, run.stderr).toBe(0);
    const image = resultSchema.parse(run.json).images[0];
    const ref = image?.refs[0] ?? "";
    expect(await registryDigest(ref, { user: e.authUser, password: e.authPassword })).toBe(
      image?.digest,
    );
    expect(e.authPassword.length).toBeGreaterThan(8);
    expect(run.stdout).not.toContain(e.authPassword);
    expect(run.stderr).not.toContain(e.authPassword);
    const local = `${push}/app:${ref.split(":").pop()}`;
    expect(docker(["history", "--no-trunc", local]).stdout).not.toContain(e.authPassword);
    expect(docker(["image", "inspect", local]).stdout).not.toContain(e.authPassword);
    const saved = spawnSync("docker", ["save", local], { maxBuffer: 1024 * 1024 * 1024 });
    expect(saved.status).toBe(0);
    expect(saved.stdout.includes(Buffer.from(e.authPassword))).toBe(false);
  });

  describe("a registry that answers 500 twice", () => {
    let proxy: http.Server;
    let port = 0;
    let failures = 0;
    beforeAll(async () => {
      const [host, upstreamPort] = e.registry.split(":");
      proxy = http.createServer((req, res) => {
        if (req.method === "HEAD" && req.url?.includes("/manifests/") && failures < 2) {
          failures++;
          res.writeHead(500).end();
          return;
        }
        const upstream = http.request(
          {
            host,
            port: Number(upstreamPort),
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on("error", () => res.writeHead(502).end());
        req.pipe(upstream);
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      port = (proxy.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it("retries, reports the retries, and succeeds", async () => {
      const repo = tempRepo({ "catalog.yaml": catalog(uniqueName("x")) });
      const run = await hiltRunAsync(
        buildArgs(e, `127.0.0.1:${port}/${uniqueName("flaky")}`),
        repo,
        { HOME: home },
      );
      expect(run.status, run.stderr).toBe(0);
      const retries = run.events.filter((ev) => ev.event === "retry");
      expect(retries.map((r) => r.reason)).toEqual(["HTTP 500", "HTTP 500"]);
      const image = resultSchema.parse(run.json).images[0];
      expect(image?.status).toBe("built");
      expect(
        await registryDigest((image?.refs[0] ?? "").replace(`127.0.0.1:${port}`, e.registry)),
      ).toBe(image?.digest);
    });
  });
});
