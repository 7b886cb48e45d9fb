import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/registry/client.js";
import { credentialsFor, dockerConfigCredentials } from "../../src/registry/credentials.js";
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
