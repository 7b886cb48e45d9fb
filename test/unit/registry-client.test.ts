import { chmodSync, existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HiltError } from "../../src/errors.js";
import { RegistryClient } from "../../src/registry/client.js";
import {
  credentialsFor,
  dockerConfigCredentials,
  dockerCredentialHelper,
  resolveCredentials,
} from "../../src/registry/credentials.js";
import { deadline, retryAfterMs, sleep } from "../../src/registry/deadline.js";
import { tempRepo } from "../helpers/cli.js";

// A registry with GHCR's token flow: 401 + Bearer challenge, a token endpoint taking basic auth.
const manifests = new Map<string, { type: string; body: string }>();
const seen: string[] = [];
let server: http.Server;
let host = "";

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url?.startsWith("/token")) {
      const ok =
        req.headers.authorization === `Basic ${Buffer.from("me:secret").toString("base64")}`;
      res
        .writeHead(ok ? 200 : 401, { "content-type": "application/json" })
        .end(ok ? JSON.stringify({ token: "T0K3N" }) : "{}");
      return;
    }
    if (req.headers.authorization !== "Bearer T0K3N") {
      res
        .writeHead(401, {
          "www-authenticate": `Bearer realm="http://${host}/token",service="test"`,
        })
        .end();
      return;
    }
    const match = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(req.url ?? "");
    const key = `${match?.[1]}:${match?.[2]}`;
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        manifests.set(key, {
          type: String(req.headers["content-type"]),
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(201).end();
      });
      return;
    }
    const found = manifests.get(key);
    if (!found) return void res.writeHead(404).end();
    res
      .writeHead(200, { "content-type": found.type, "docker-content-digest": "sha256:abc" })
      .end(req.method === "HEAD" ? undefined : found.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  manifests.set("team/app:input-1", {
    type: "application/vnd.oci.image.index.v1+json",
    body: '{"schemaVersion":2}',
  });
  manifests.set("team/app:sha256:abc", {
    type: "application/vnd.oci.image.index.v1+json",
    body: '{"schemaVersion":2}',
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("registry client", () => {
  it("follows the bearer token flow and reads a digest", async () => {
    const client = new RegistryClient({
      credentials: { username: "me", password: "secret", source: "test" },
    });
    expect(await client.headManifest(`${host}/team/app`, "input-1")).toBe("sha256:abc");
    expect(await client.headManifest(`${host}/team/app`, "input-2")).toBeUndefined();
    expect(
      seen.some((s) =>
        s.startsWith("GET /token?service=test&scope=repository%3Ateam%2Fapp%3Apull"),
      ),
    ).toBe(true);
  });

  it("points a tag at an existing manifest, keeping its media type", async () => {
    const client = new RegistryClient({
      credentials: { username: "me", password: "secret", source: "test" },
    });
    await client.tagManifest(`${host}/team/app`, "sha256:abc", "latest");
    expect(manifests.get("team/app:latest")).toEqual({
      type: "application/vnd.oci.image.index.v1+json",
      body: '{"schemaVersion":2}',
    });
  });

  it("names the credentials' source when they are refused", async () => {
    const client = new RegistryClient({
      credentials: { username: "me", password: "wrong", source: "GITHUB_TOKEN" },
    });
    await expect(client.headManifest(`${host}/team/app`, "input-1")).rejects.toMatchObject({
      code: "REGISTRY_AUTH_FAILED",
    });
    const anonymous = new RegistryClient();
    await expect(anonymous.headManifest(`${host}/team/app`, "input-1")).rejects.toMatchObject({
      code: "REGISTRY_AUTH_FAILED",
      hint: expect.stringMatching(/HILT_REGISTRY_USERNAME/),
    });
  });

  it("retries a registry that does not answer, then says so", async () => {
    const retries: number[] = [];
    const client = new RegistryClient({
      retries: 2,
      backoffMs: 1,
      onRetry: (r) => retries.push(r.attempt),
    });
    await expect(client.headManifest("127.0.0.1:9/x", "t")).rejects.toMatchObject({
      code: "REGISTRY_UNAVAILABLE",
      exitCode: 5,
    });
    expect(retries).toEqual([1, 2]);
  });
});

describe("registry credentials", () => {
  it("GHCR: a GitHub token and the actor", () => {
    expect(
      credentialsFor("ghcr.io", { GITHUB_TOKEN: "t", GITHUB_ACTOR: "octo", HOME: "/nonexistent" }),
    ).toEqual({ username: "octo", password: "t", source: "GITHUB_TOKEN" });
    expect(
      credentialsFor("ghcr.io", { GHCR_TOKEN: "p", GITHUB_TOKEN: "t", HOME: "/nonexistent" })
        ?.source,
    ).toBe("GHCR_TOKEN");
  });

  it("HILT_REGISTRY_* first, for any registry", () => {
    expect(
      credentialsFor("r.io", {
        HILT_REGISTRY_USERNAME: "u",
        HILT_REGISTRY_PASSWORD: "p",
        GITHUB_TOKEN: "t",
      }),
    ).toMatchObject({ username: "u", password: "p" });
  });

  it("the docker config's auths, decoded", () => {
    const auth = Buffer.from("user:pa:ss").toString("base64");
    expect(
      dockerConfigCredentials(JSON.stringify({ auths: { "https://r.io": { auth } } }), "r.io"),
    ).toMatchObject({ username: "user", password: "pa:ss" });
    const home = tempRepo({
      ".docker/config.json": JSON.stringify({ auths: { "r.io": { auth } } }),
    });
    expect(credentialsFor("r.io", { HOME: home })?.source).toBe("docker config");
    expect(credentialsFor("other.io", { HOME: home })).toBeUndefined();
  });
});

describe("deadlines and Retry-After", () => {
  it("reads Retry-After as seconds or an HTTP date, capped, never negative", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("2", 60_000, now)).toBe(2000);
    expect(retryAfterMs(" 0 ", 60_000, now)).toBe(0);
    expect(retryAfterMs("86400", 60_000, now)).toBe(60_000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", 60_000, now)).toBe(5000);
    expect(retryAfterMs("Wed, 31 Dec 2025 23:00:00 GMT", 60_000, now)).toBe(0);
    expect(retryAfterMs("soon", 60_000, now)).toBeUndefined();
    expect(retryAfterMs("-3", 60_000, now)).toBeUndefined();
    expect(retryAfterMs(null, 60_000, now)).toBeUndefined();
  });

  it("a deadline fires by itself, and tells a timeout from the parent's abort", async () => {
    const timed = deadline(20);
    await new Promise((r) => timed.signal.addEventListener("abort", r));
    expect(timed.expired).toBe(true);
    const parent = new AbortController();
    const child = deadline(60_000, parent.signal);
    parent.abort();
    expect(child.signal.aborted).toBe(true);
    expect(child.expired).toBe(false);
    child.clear();
    const cleared = deadline(10);
    cleared.clear();
    await sleep(30);
    expect(cleared.signal.aborted).toBe(false);
  });

  it("an abort ends a sleep early", async () => {
    const controller = new AbortController();
    const slept = sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});

describe("Docker credential helpers", () => {
  // A fake docker-credential-test: logs the server URL it was asked for, answers per host.
  function helperEnv(config: object, extra: Record<string, string> = {}) {
    const dir = tempRepo({
      "bin/docker-credential-test": `#!/bin/sh
read -r url
echo "$url" >> "$(dirname "$0")/../asked.log"
case "$url" in
  r.io|https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-s3cret"}' "$url" ;;
  broken.io) echo '{"Secret":"leaked-s3cret"}'; echo 'keychain locked' >&2; exit 1 ;;
  garbage.io) echo 'not json helper-s3cret' ;;
  slow.io) sleep 30 ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
`,
      "docker/config.json": JSON.stringify(config),
    });
    chmodSync(path.join(dir, "bin/docker-credential-test"), 0o755);
    const log = path.join(dir, "asked.log");
    return {
      env: {
        PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
        DOCKER_CONFIG: path.join(dir, "docker"),
        HOME: dir,
        ...extra,
      },
      asked: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []),
    };
  }

  it("credHelpers for the host: runs `docker-credential-<name> get` with the host on stdin", async () => {
    const { env, asked } = helperEnv({ credHelpers: { "r.io": "test" } });
    expect(await resolveCredentials("r.io", env)).toEqual({
      username: "helper-user",
      password: "helper-s3cret",
      source: "docker-credential-test",
    });
    expect(asked()).toEqual(["r.io"]);
  });

  it("credsStore for every host; Docker Hub by its legacy server URL", async () => {
    const { env, asked } = helperEnv({ credsStore: "test" });
    expect((await resolveCredentials("docker.io", env))?.username).toBe("helper-user");
    expect(asked()).toEqual(["https://index.docker.io/v1/"]);
  });

  it("'credentials not found' means none: the config's auths still apply", async () => {
    const auth = Buffer.from("inline:pw").toString("base64");
    const { env } = helperEnv({ credsStore: "test", auths: { "other.io": { auth } } });
    expect(await resolveCredentials("other.io", env)).toMatchObject({
      username: "inline",
      source: "docker config",
    });
    expect(await resolveCredentials("none.io", env)).toBeUndefined();
  });

  it("Hilt's own environment variables win: the helper is not run", async () => {
    const { env, asked } = helperEnv(
      { credsStore: "test" },
      { HILT_REGISTRY_USERNAME: "u", HILT_REGISTRY_PASSWORD: "p" },
    );
    expect(await resolveCredentials("r.io", env)).toMatchObject({ username: "u", password: "p" });
    expect(asked()).toEqual([]);
  });

  it("a failing or garbled helper: REGISTRY_AUTH_FAILED that never echoes its output", async () => {
    const { env } = helperEnv({ credsStore: "test" });
    for (const host of ["broken.io", "garbage.io"]) {
      const error = await resolveCredentials(host, env).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HiltError);
      expect(error).toMatchObject({ code: "REGISTRY_AUTH_FAILED", exitCode: 5 });
      const shown = `${(error as HiltError).message} ${(error as HiltError).hint}`;
      expect(shown).toContain("docker-credential-test");
      expect(shown).not.toMatch(/s3cret|keychain/);
    }
  });

  it("a helper that never answers: REGISTRY_TIMEOUT; aborted: INTERRUPTED", async () => {
    const { env } = helperEnv({ credsStore: "test" });
    await expect(resolveCredentials("slow.io", env, { timeoutMs: 300 })).rejects.toMatchObject({
      code: "REGISTRY_TIMEOUT",
      exitCode: 5,
    });
    const controller = new AbortController();
    const pending = resolveCredentials("slow.io", env, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: "INTERRUPTED", exitCode: 130 });
  });

  it("a helper that is not installed, or a name that is not a plain word, is skipped", async () => {
    const auth = Buffer.from("inline:pw").toString("base64");
    for (const credsStore of ["missing", "../../bin/sh", 42]) {
      const { env } = helperEnv({ credsStore, auths: { "r.io": { auth } } });
      expect((await resolveCredentials("r.io", env))?.username).toBe("inline");
    }
    expect(dockerCredentialHelper("{", "r.io")).toBeUndefined();
    expect(
      dockerCredentialHelper(
        JSON.stringify({ credsStore: "a", credHelpers: { "r.io": "b" } }),
        "r.io",
      ),
    ).toBe("b");
  });
});
