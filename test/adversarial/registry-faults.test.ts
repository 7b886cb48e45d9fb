import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { HiltError } from "../../src/errors.js";
import {
  MANIFEST_TYPES,
  RegistryClient,
  type RegistryClientOptions,
} from "../../src/registry/client.js";
import { NODE_ARGS, tempRepo } from "../helpers/cli.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";

// The registries test/env/up.sh runs: plain on :5000, htpasswd on :5001.
const REGISTRY = process.env.HILT_E2E_REGISTRY ?? "127.0.0.1:5000";
const AUTH_REGISTRY = process.env.HILT_E2E_AUTH_REGISTRY ?? "127.0.0.1:5001";
const AUTH_USER = process.env.HILT_E2E_AUTH_USER ?? "hilt";
const AUTH_PASSWORD = readFileSync(
  process.env.HILT_E2E_AUTH_PASSWORD_FILE ?? "/var/lib/hilt-env/auth-registry.password",
  "utf8",
).trim();
const BASE_IMAGE = process.env.HILT_E2E_BASE_IMAGE ?? `${REGISTRY}/library/debian:bookworm-slim`;

// A tiny image of our own in the plain registry: a config blob and a manifest without layers.
const REPO = `hilt-faults-${randomBytes(3).toString("hex")}/tiny`;
const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
let manifestDigest = "";

async function pushTinyImage(): Promise<void> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    }),
  );
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  const start = await fetch(`http://${REGISTRY}/v2/${REPO}/blobs/uploads/`, { method: "POST" });
  const location = new URL(start.headers.get("location") ?? "", `http://${REGISTRY}`);
  location.searchParams.set("digest", configDigest);
  const put = await fetch(location, { method: "PUT", body: config });
  expect(put.status).toBe(201);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: configDigest,
        size: config.length,
      },
      layers: [],
    }),
  );
  manifestDigest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
  const tagged = await fetch(`http://${REGISTRY}/v2/${REPO}/manifests/v1`, {
    method: "PUT",
    headers: { "content-type": MANIFEST_TYPE },
    body: manifest,
  });
  expect(tagged.status).toBe(201);
}

/** The tag's digest as the real registry (not the proxy) reports it. */
async function upstreamDigest(tag: string): Promise<string | null> {
  const response = await fetch(`http://${REGISTRY}/v2/${REPO}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: MANIFEST_TYPE },
  });
  return response.ok ? response.headers.get("docker-content-digest") : null;
}

/** The promise's outcome, or a test failure when it takes longer than `ms`: never a hang. */
async function settle<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return { value: await Promise.race([promise, limit]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("did not settle")) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts a coded Hilt error with its exit code, and that no secret is in what users see. */
function expectHiltError(error: unknown, code: string, exitCode: number, secrets: string[] = []) {
  expect(error).toBeInstanceOf(HiltError);
  const hilt = error as HiltError;
  expect({ code: hilt.code, exitCode: hilt.exitCode }).toEqual({ code, exitCode });
  const shown = `${hilt.message}\n${hilt.hint ?? ""}`;
  for (const secret of secrets) expect(shown).not.toContain(secret);
  expect(shown).not.toMatch(/authorization|bearer |basic [a-z0-9+/=]{8}/i);
}

const proxies: FaultProxy[] = [];
async function proxy(options: Partial<Parameters<typeof startFaultProxy>[0]> = {}) {
  const started = await startFaultProxy({ upstream: REGISTRY, ...options });
  proxies.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

const manifests = /^(HEAD|GET) \/v2\/.+\/manifests\//;
const bearer = { user: "robot", password: `pw-${randomBytes(6).toString("hex")}` };
const bearerCredentials = { username: bearer.user, password: bearer.password, source: "test" };

function client(options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({ backoffMs: 10, ...options });
}

beforeAll(pushTinyImage);

describe("registry client against a faulty registry", () => {
  it("500 once, then the answer: retried", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "status", status: 500 }, times: 1 }]);
    const reasons: string[] = [];
    const c = client({ onRetry: (r) => reasons.push(r.reason) });
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
    expect(reasons).toEqual(["HTTP 500"]);
  });

  it("500 for ever: REGISTRY_UNAVAILABLE (exit 5) after the retries", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "status", status: 500 } }]);
    const { error } = await settle(
      client({ retries: 2 }).headManifest(`${p.host}/${REPO}`, "v1"),
      10_000,
    );
    expectHiltError(error, "REGISTRY_UNAVAILABLE", 5);
    expect((error as Error).message).toContain("3 tries (HTTP 500)");
    expect(p.requests.filter((r) => manifests.test(r))).toHaveLength(3);
  });

  it("503 on a manifest PUT, then the answer: the tag moves", async () => {
    const p = await proxy();
    p.setFaults([{ match: /^PUT /, fault: { kind: "status", status: 503 }, times: 2 }]);
    const { error } = await settle(
      client().tagManifest(`${p.host}/${REPO}`, manifestDigest, "after-503"),
      10_000,
    );
    expect(error).toBeUndefined();
    expect(await upstreamDigest("after-503")).toBe(manifestDigest);
  });

  it("429 with Retry-After in seconds: waits as asked (not the hour of backoff), then retries", async () => {
    const p = await proxy();
    p.setFaults([
      {
        match: manifests,
        fault: { kind: "status", status: 429, headers: { "retry-after": "1" } },
        times: 1,
      },
    ]);
    const reasons: string[] = [];
    const c = client({ backoffMs: 3_600_000, onRetry: (r) => reasons.push(r.reason) });
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
    expect(reasons).toEqual(["HTTP 429, rate limited"]);
  });

  it("429 with Retry-After as an HTTP date", async () => {
    const p = await proxy();
    const when = new Date(Date.now() + 1000).toUTCString();
    p.setFaults([
      {
        match: manifests,
        fault: { kind: "status", status: 429, headers: { "retry-after": when } },
        times: 2,
      },
    ]);
    const c = client({ backoffMs: 3_600_000 });
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
    expect(p.requests.filter((r) => manifests.test(r))).toHaveLength(3);
  });

  it("429 asking for a day: the wait is capped", async () => {
    const p = await proxy();
    p.setFaults([
      {
        match: manifests,
        fault: { kind: "status", status: 429, headers: { "retry-after": "86400" } },
        times: 1,
      },
    ]);
    const c = client({ maxRetryAfterMs: 200 });
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
  });

  it("429 for ever: REGISTRY_UNAVAILABLE naming the rate limit", async () => {
    const p = await proxy();
    p.setFaults([
      {
        match: manifests,
        fault: { kind: "status", status: 429, headers: { "retry-after": "0" } },
      },
    ]);
    const { error } = await settle(
      client({ retries: 2 }).headManifest(`${p.host}/${REPO}`, "v1"),
      10_000,
    );
    expectHiltError(error, "REGISTRY_UNAVAILABLE", 5);
    expect((error as Error).message).toContain("rate limited");
  });

  it("Ctrl-C during a long Retry-After wait: INTERRUPTED at once", async () => {
    const p = await proxy();
    p.setFaults([
      {
        match: manifests,
        fault: { kind: "status", status: 429, headers: { "retry-after": "3600" } },
      },
    ]);
    const controller = new AbortController();
    const c = client({ signal: controller.signal, maxRetryAfterMs: 3_600_000 });
    const pending = c.headManifest(`${p.host}/${REPO}`, "v1");
    setTimeout(() => controller.abort(), 300);
    const { error } = await settle(pending, 2_000);
    expectHiltError(error, "INTERRUPTED", 130);
  });

  it("a connection reset once: retried", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "reset" }, times: 1 }]);
    const reasons: string[] = [];
    const c = client({ onRetry: (r) => reasons.push(r.reason) });
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
    expect(reasons).toHaveLength(1);
  });

  it("connection resets for ever: REGISTRY_UNAVAILABLE", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "reset" } }]);
    const { error } = await settle(
      client({ retries: 1 }).getManifest(`${p.host}/${REPO}`, "v1"),
      10_000,
    );
    expectHiltError(error, "REGISTRY_UNAVAILABLE", 5);
  });

  it("nothing listening: REGISTRY_UNAVAILABLE", async () => {
    const p = await proxy();
    const host = p.host;
    await p.stop();
    const { error } = await settle(client({ retries: 1 }).headManifest(`${host}/x/y`, "t"), 10_000);
    expectHiltError(error, "REGISTRY_UNAVAILABLE", 5);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("a registry that never answers: REGISTRY_TIMEOUT (exit 5) from the per-request deadline", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "hang" } }]);
    const { error } = await settle(
      client({ timeoutMs: 500 }).headManifest(`${p.host}/${REPO}`, "v1"),
      5_000,
    );
    expectHiltError(error, "REGISTRY_TIMEOUT", 5);
  });

  it("a registry that never answers, no timeout given, aborted: INTERRUPTED promptly", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "hang" } }]);
    const controller = new AbortController();
    const pending = client({ signal: controller.signal }).headManifest(`${p.host}/${REPO}`, "v1");
    setTimeout(() => controller.abort(), 300);
    const { error } = await settle(pending, 1_300);
    expectHiltError(error, "INTERRUPTED", 130);
  });

  it("an answer slower than the deadline: REGISTRY_TIMEOUT; a slow one within it: fine", async () => {
    const p = await proxy();
    p.setFaults([{ match: manifests, fault: { kind: "slow", delayMs: 2_000 }, times: 1 }]);
    const slow = await settle(
      client({ timeoutMs: 300 }).headManifest(`${p.host}/${REPO}`, "v1"),
      5_000,
    );
    expectHiltError(slow.error, "REGISTRY_TIMEOUT", 5);
    p.setFaults([{ match: manifests, fault: { kind: "slow", delayMs: 200 } }]);
    const ok = await settle(
      client({ timeoutMs: 5_000 }).headManifest(`${p.host}/${REPO}`, "v1"),
      10_000,
    );
    expect(ok.value).toBe(manifestDigest);
  });

  it("headers, then a body that never comes: REGISTRY_TIMEOUT (the deadline covers the body)", async () => {
    const p = await proxy();
    p.setFaults([{ match: /^GET \/v2\/.+\/manifests\//, fault: { kind: "stallBody" } }]);
    const { error } = await settle(
      client({ timeoutMs: 500 }).getManifest(`${p.host}/${REPO}`, "v1"),
      5_000,
    );
    expectHiltError(error, "REGISTRY_TIMEOUT", 5);
  });

  it("already aborted: INTERRUPTED without a single request", async () => {
    const p = await proxy();
    const { error } = await settle(
      client({ signal: AbortSignal.abort() }).headManifest(`${p.host}/${REPO}`, "v1"),
      2_000,
    );
    expectHiltError(error, "INTERRUPTED", 130);
    expect(p.requests).toEqual([]);
  });
});

describe("registry client and token auth faults", () => {
  it("a token endpoint that never answers: REGISTRY_TIMEOUT, naming the token request", async () => {
    const p = await proxy({ bearer });
    p.setFaults([{ match: /^GET \/token/, fault: { kind: "hang" } }]);
    const c = client({ credentials: bearerCredentials, timeoutMs: 500 });
    const { error } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 5_000);
    expectHiltError(error, "REGISTRY_TIMEOUT", 5, [bearer.password]);
    expect((error as Error).message).toContain("token request");
  });

  it("a token endpoint that never answers, aborted: INTERRUPTED promptly", async () => {
    const p = await proxy({ bearer });
    p.setFaults([{ match: /^GET \/token/, fault: { kind: "hang" } }]);
    const controller = new AbortController();
    const c = client({ credentials: bearerCredentials, signal: controller.signal });
    const pending = c.headManifest(`${p.host}/${REPO}`, "v1");
    setTimeout(() => controller.abort(), 300);
    const { error } = await settle(pending, 1_300);
    expectHiltError(error, "INTERRUPTED", 130, [bearer.password]);
  });

  it("a token endpoint answering 500 once: retried", async () => {
    const p = await proxy({ bearer });
    p.setFaults([{ match: /^GET \/token/, fault: { kind: "status", status: 500 }, times: 1 }]);
    const c = client({ credentials: bearerCredentials });
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
    expect(p.tokens).toHaveLength(1);
  });

  it("a token endpoint answering 200 without a token: REGISTRY_ERROR (exit 5)", async () => {
    const p = await proxy({ bearer });
    p.setFaults([{ match: /^GET \/token/, fault: { kind: "status", status: 200 } }]);
    const c = client({ credentials: bearerCredentials });
    const { error } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expectHiltError(error, "REGISTRY_ERROR", 5, [bearer.password]);
  });

  it("a token that expires between requests is refreshed once", async () => {
    const p = await proxy({ bearer });
    const c = client({ credentials: bearerCredentials });
    expect(await c.headManifest(`${p.host}/${REPO}`, "v1")).toBe(manifestDigest);
    p.revokeTokens();
    const { value } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(value).toBe(manifestDigest);
    expect(p.tokens).toHaveLength(2);
    expect(p.authorizations.at(-1)).toBe(`Bearer ${p.tokens[1]}`);
  });

  it("401 mid-run even after a fresh token: REGISTRY_AUTH_FAILED after one refresh", async () => {
    const p = await proxy({ bearer });
    // The first call: its challenge and its request with the token pass; later ones get 401.
    p.setFaults([{ match: manifests, fault: { kind: "unauthorizedAfter", after: 2 } }]);
    const c = client({ credentials: bearerCredentials });
    expect(await c.headManifest(`${p.host}/${REPO}`, "v1")).toBe(manifestDigest);
    const { error } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expectHiltError(error, "REGISTRY_AUTH_FAILED", 5, [bearer.password, ...p.tokens]);
    expect(p.tokens).toHaveLength(2);
  });

  it("wrong credentials at the token endpoint: REGISTRY_AUTH_FAILED naming their source only", async () => {
    const p = await proxy({ bearer });
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const c = client({
      credentials: { username: bearer.user, password: wrong, source: "HILT_REGISTRY_PASSWORD" },
    });
    const { error } = await settle(c.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expectHiltError(error, "REGISTRY_AUTH_FAILED", 5, [wrong, bearer.user]);
    expect((error as HiltError).hint).toContain("HILT_REGISTRY_PASSWORD");
  });

  it("403 on the manifest PUT: REGISTRY_AUTH_FAILED, the tag not moved", async () => {
    const p = await proxy({ bearer });
    p.setFaults([{ match: /^PUT /, fault: { kind: "status", status: 403 } }]);
    const c = client({ credentials: bearerCredentials });
    const { error } = await settle(
      c.tagManifest(`${p.host}/${REPO}`, manifestDigest, "no"),
      10_000,
    );
    expectHiltError(error, "REGISTRY_AUTH_FAILED", 5, [bearer.password, ...p.tokens]);
    expect(await upstreamDigest("no")).toBeNull();
  });

  it("the htpasswd registry behind the proxy: right password works, wrong one is refused", async () => {
    const p = await proxy({ upstream: AUTH_REGISTRY });
    const good = client({
      credentials: { username: AUTH_USER, password: AUTH_PASSWORD, source: "test" },
    });
    const missing = await settle(good.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expect(missing.error).toBeUndefined();
    expect(missing.value).toBeUndefined(); // a 404 after authenticating: not in this registry
    const bad = client({
      credentials: { username: AUTH_USER, password: `${AUTH_PASSWORD}x`, source: "test" },
    });
    const { error } = await settle(bad.headManifest(`${p.host}/${REPO}`, "v1"), 10_000);
    expectHiltError(error, "REGISTRY_AUTH_FAILED", 5, [AUTH_PASSWORD]);
  });
});

// The real CLI, as a program spawning Hilt would run it.
interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function hiltCli(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  options: { signalWhen?: () => boolean; signal?: NodeJS.Signals; limitMs: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
      cwd,
      // An empty HOME of its own: no docker config or npm cache of the caller's to lean on.
      env: { PATH: process.env.PATH ?? "", HOME: tempRepo({}), ...env },
    });
    let stdout = "";
    let stderr = "";
    const limit = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hilt did not end within ${options.limitMs} ms:\n${stderr}`));
    }, options.limitMs);
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const poll = setInterval(() => {
      if (options.signalWhen?.()) {
        clearInterval(poll);
        child.kill(options.signal ?? "SIGINT");
      }
    }, 50);
    child.on("close", (status) => {
      clearTimeout(limit);
      clearInterval(poll);
      resolve({ status, stdout, stderr });
    });
  });
}

const catalog = (nonce: string) => `schemaVersion: 1
images:
  app:
    from: debian:bookworm-slim
    steps:
      - run: echo ${nonce} > /nonce
`;

function cliArgs(push: string, extra: string[] = []): string[] {
  return [
    "build-all",
    "--json",
    "--events",
    "--engine",
    "docker",
    "--push",
    push,
    "--base-image",
    `debian:bookworm-slim=${BASE_IMAGE}`,
    "--platform",
    "linux/amd64",
    ...extra,
  ];
}

/** One JSON document on stdout; the repository holds only its catalog; no secret anywhere. */
function expectCliOutcome(
  run: CliRun,
  repo: string,
  status: number,
  code: string | undefined,
  secrets: string[],
) {
  expect(run.status, run.stderr).toBe(status);
  const result = JSON.parse(run.stdout);
  expect(result.error?.code).toBe(code);
  expect(readdirSync(repo)).toEqual(["catalog.yaml"]);
  for (const secret of secrets) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
  return result;
}

describe("the CLI against a faulty registry", () => {
  const ns = `hilt-faults-${randomBytes(3).toString("hex")}`;

  it("a registry that never answers, --timeout 3: exit 130 with one JSON document", async () => {
    const p = await proxy();
    p.setFaults([{ match: /^(HEAD|GET) \/v2\//, fault: { kind: "hang" } }]);
    const repo = tempRepo({ "catalog.yaml": catalog("hang") });
    const run = await hiltCli(
      cliArgs(`${p.host}/${ns}`, ["--timeout", "3"]),
      repo,
      {},
      {
        limitMs: 45_000,
      },
    );
    expectCliOutcome(run, repo, 130, "INTERRUPTED", []);
    expect(p.requests.length).toBeGreaterThan(0);
  });

  it("a token endpoint that never answers, then SIGTERM: ends promptly with JSON, no secret", async () => {
    const p = await proxy({ bearer });
    p.setFaults([{ match: /^GET \/token/, fault: { kind: "hang" } }]);
    const repo = tempRepo({ "catalog.yaml": catalog("token-hang") });
    const env = { HILT_REGISTRY_USERNAME: bearer.user, HILT_REGISTRY_PASSWORD: bearer.password };
    const run = await hiltCli(cliArgs(`${p.host}/${ns}`), repo, env, {
      signalWhen: () => p.requests.some((r) => r.startsWith("GET /token")),
      signal: "SIGTERM",
      limitMs: 45_000,
    });
    expectCliOutcome(run, repo, 130, "INTERRUPTED", [bearer.password]);
  });

  it("a registry answering 500 for ever: exit 5, REGISTRY_UNAVAILABLE, before any build", async () => {
    const p = await proxy();
    p.setFaults([{ match: /^(HEAD|GET) \/v2\//, fault: { kind: "status", status: 500 } }]);
    const repo = tempRepo({ "catalog.yaml": catalog("500") });
    const run = await hiltCli(cliArgs(`${p.host}/${ns}`), repo, {}, { limitMs: 45_000 });
    expectCliOutcome(run, repo, 5, "REGISTRY_UNAVAILABLE", []);
    const events = run.stderr.split("\n").filter((l) => l.startsWith("{"));
    expect(events.map((l) => JSON.parse(l).event)).not.toContain("started");
    expect(events.filter((l) => JSON.parse(l).event === "retry")).toHaveLength(3);
  });

  it("wrong credentials at the token endpoint: exit 5, REGISTRY_AUTH_FAILED, password nowhere", async () => {
    const p = await proxy({ bearer });
    const repo = tempRepo({ "catalog.yaml": catalog("auth") });
    const wrong = `wrong-${randomBytes(8).toString("hex")}`;
    const run = await hiltCli(
      cliArgs(`${p.host}/${ns}`),
      repo,
      { HILT_REGISTRY_USERNAME: bearer.user, HILT_REGISTRY_PASSWORD: wrong },
      { limitMs: 45_000 },
    );
    expectCliOutcome(run, repo, 5, "REGISTRY_AUTH_FAILED", [wrong]);
  });
  it("401 in the middle of the push: exit 5, REGISTRY_AUTH_FAILED, not BUILD_FAILED", async () => {
    const p = await proxy({ bearer });
    p.setFaults([
      { match: /^(POST|PATCH|PUT) \/v2\//, fault: { kind: "unauthorizedAfter", after: 1 } },
    ]);
    const repo = tempRepo({ "catalog.yaml": catalog(randomBytes(4).toString("hex")) });
    const env = { HILT_REGISTRY_USERNAME: bearer.user, HILT_REGISTRY_PASSWORD: bearer.password };
    const run = await hiltCli(cliArgs(`${p.host}/${ns}`), repo, env, { limitMs: 240_000 });
    const result = expectCliOutcome(run, repo, 5, "REGISTRY_AUTH_FAILED", [
      bearer.password,
      ...p.tokens,
    ]);
    expect(result.images[0].error.code).toBe("REGISTRY_AUTH_FAILED");
  }, 300_000);
});

describe("the CLI and Docker's credential helpers", () => {
  const ns = `hilt-faults-${randomBytes(3).toString("hex")}`;

  /** A DOCKER_CONFIG naming docker-credential-test for `host`, and that fake helper on PATH. */
  function helperSetup(host: string, answer: string) {
    const dir = tempRepo({
      "bin/docker-credential-test": `#!/bin/sh\nread -r url\necho "$url" >> "$(dirname "$0")/../asked.log"\n${answer}\n`,
      "docker/config.json": JSON.stringify({ credHelpers: { [host]: "test" } }),
    });
    chmodSync(path.join(dir, "bin/docker-credential-test"), 0o755);
    return {
      env: {
        PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
        DOCKER_CONFIG: path.join(dir, "docker"),
      },
      asked: () => readFileSync(path.join(dir, "asked.log"), "utf8").trim(),
    };
  }

  it("refused helper credentials: exit 5, REGISTRY_AUTH_FAILED naming the helper, secret nowhere", async () => {
    const p = await proxy({ bearer });
    const secret = `helper-${randomBytes(8).toString("hex")}`;
    const helper = helperSetup(
      p.host,
      `printf '{"ServerURL":"%s","Username":"robot","Secret":"${secret}"}' "$url"`,
    );
    const repo = tempRepo({ "catalog.yaml": catalog("helper") });
    const run = await hiltCli(cliArgs(`${p.host}/${ns}`), repo, helper.env, { limitMs: 45_000 });
    const result = expectCliOutcome(run, repo, 5, "REGISTRY_AUTH_FAILED", [secret]);
    expect(result.error.hint).toContain("docker-credential-test");
    expect(helper.asked()).toBe(p.host);
  });

  it("a credential helper that never answers, --timeout 3: exit 130 with JSON", async () => {
    const p = await proxy({ bearer });
    const helper = helperSetup(p.host, "exec sleep 600");
    const repo = tempRepo({ "catalog.yaml": catalog("helper-hang") });
    const run = await hiltCli(cliArgs(`${p.host}/${ns}`, ["--timeout", "3"]), repo, helper.env, {
      limitMs: 45_000,
    });
    expectCliOutcome(run, repo, 130, "INTERRUPTED", []);
    expect(p.requests).toEqual([]);
  });
});

describe("the CLI pushing through a faulty token registry", () => {
  const ns = `hilt-faults-${randomBytes(3).toString("hex")}`;
  const env = {
    HILT_DEBUG: "1",
    HILT_REGISTRY_USERNAME: bearer.user,
    HILT_REGISTRY_PASSWORD: bearer.password,
  };
  const headManifests = /^HEAD \/v2\/.+\/manifests\//;

  it("500, then 429 with Retry-After, then a real push: exit 0, tokens and password nowhere", async () => {
    const p = await proxy({ bearer });
    p.setFaults([
      { match: headManifests, fault: { kind: "status", status: 500 }, times: 1 },
      {
        match: headManifests,
        fault: { kind: "status", status: 429, headers: { "retry-after": "1" } },
        times: 1,
      },
    ]);
    const repo = tempRepo({ "catalog.yaml": catalog(randomBytes(4).toString("hex")) });
    const run = await hiltCli(cliArgs(`${p.host}/${ns}`), repo, env, { limitMs: 240_000 });
    const result = expectCliOutcome(run, repo, 0, undefined, [bearer.password, ...p.tokens]);
    expect(p.tokens.length).toBeGreaterThan(0);
    const events = run.stderr.split("\n").filter((l) => l.startsWith("{"));
    const retries = events.map((l) => JSON.parse(l)).filter((e) => e.event === "retry");
    expect(retries.map((e) => e.reason)).toEqual(["HTTP 500", "HTTP 429, rate limited"]);
    const ref: string = result.images[0].refs[0];
    const tag = ref.slice(ref.lastIndexOf(":") + 1);
    const pushed = await fetch(`http://${REGISTRY}/v2/${ns}/app/manifests/${tag}`, {
      method: "HEAD",
      headers: { accept: MANIFEST_TYPES },
    });
    expect(pushed.headers.get("docker-content-digest")).toBe(result.images[0].digest);
  }, 300_000);
});
