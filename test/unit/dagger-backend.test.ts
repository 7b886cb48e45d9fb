import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Client } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import type { BuildRequest } from "../../src/engine/backend.js";
import { DaggerBackend } from "../../src/engine/dagger/backend.js";
import type { LocalStore } from "../../src/engine/dagger/local-store.js";
import { borrowedSession, openSession } from "../../src/engine/dagger/session.js";
import { applyStep, copyDestination, withNoCacheArg } from "../../src/engine/dagger/steps.js";
import { chooseEngine } from "../../src/engine/select.js";
import { HiltError } from "../../src/errors.js";
import type { PlanNode } from "../../src/plan/plan-schema.js";
import { parsePushTarget } from "../../src/plan/targets.js";
import { planOf, RUN_ID } from "../helpers/catalog.js";
import { tempRepo } from "../helpers/cli.js";

interface Call {
  method: string;
  args: unknown[];
}

interface Behaviour {
  /** What sync() does, given the chain of calls that made the container. */
  sync?: (calls: Call[]) => Promise<unknown>;
  /** The platform the engine says it produced; default: the one asked for. */
  platform?: (asked: string | undefined) => string;
}

/**
 * A fake Dagger client: every call returns a new object remembering the chain of calls that
 * made it; the async leaves answer as `behaviour` says and are recorded in `log`.
 */
function fakeClient(behaviour: Behaviour = {}) {
  const log = { published: [] as Call[][], secrets: [] as [string, string][], synced: 0 };
  const asked = (calls: Call[]) => {
    for (const c of [...calls].reverse()) {
      const options = c.args.find((a) => typeof a === "object" && a !== null && "platform" in a);
      if (options) return (options as { platform: string }).platform;
    }
    return undefined;
  };
  const node = (calls: Call[]): unknown =>
    new Proxy(
      {},
      {
        get(_target, prop) {
          if (prop === "then") return undefined;
          if (prop === "calls") return calls;
          return (...args: unknown[]) => {
            const next = [...calls, { method: String(prop), args }];
            if (prop === "setSecret") log.secrets.push([args[0] as string, args[1] as string]);
            if (prop === "sync") {
              log.synced += 1;
              return (behaviour.sync ?? (async () => "id"))(next);
            }
            if (prop === "platform")
              return Promise.resolve(
                (behaviour.platform ?? ((p) => p ?? "linux/amd64"))(asked(next)),
              );
            if (prop === "publish") {
              log.published.push(next);
              return Promise.resolve(`${args[0]}@sha256:${"a".repeat(64)}`);
            }
            return node(next);
          };
        },
      },
    );
  return { client: node([]) as Client, log };
}

const callsOf = (value: unknown): Call[] => (value as { calls: Call[] }).calls;

function backendWith(client: Client, local?: Partial<LocalStore>) {
  return new DaggerBackend({
    session: borrowedSession(client),
    env: {},
    ...(local ? { local: local as LocalStore } : {}),
  });
}

function request(node: PlanNode, root: string, extra: Partial<BuildRequest> = {}): BuildRequest {
  return {
    node,
    root,
    baseRef: "debian:12",
    tags: node.refs.immutable,
    push: true,
    noCache: false,
    secrets: {},
    sourceDateEpoch: 0,
    signal: new AbortController().signal,
    log: () => {},
    ...extra,
  };
}

function nodeOf(
  catalog: string,
  name: string,
  push = "127.0.0.1:5000/hilt",
  dockerfileTexts: Record<string, string> = {},
): PlanNode {
  const graph = planOf(catalog, {
    push: parsePushTarget(push, { runId: RUN_ID }),
    dockerfileTexts,
  });
  return graph.nodes.find((n) => n.name === name) as PlanNode;
}

const STEPS = `schemaVersion: 1
images:
  app:
    from: "debian:12"
    steps:
      - run: exit 3
`;

describe("the dagger backend, on a fake client", () => {
  it("hands npmrc, pipconf and ca to dockerBuild as secrets named by their mount ids", async () => {
    const root = tempRepo({
      "svc/Dockerfile": "FROM debian:12\nRUN --mount=type=secret,id=npmrc true\n",
      npmrc: "//r/:_authToken=tok-123\n",
      "pip.conf": "[global]\n",
      "ca.pem": "CA\n",
    });
    const catalog =
      "schemaVersion: 1\nimages:\n  svc:\n    from: debian:12\n    dockerfile: svc/Dockerfile\n";
    const { client, log } = fakeClient();
    const backend = backendWith(client);
    await backend.preflight([]);
    const secrets = {
      npmrc: path.join(root, "npmrc"),
      pipconf: path.join(root, "pip.conf"),
      ca: path.join(root, "ca.pem"),
    };
    await backend.build(
      request(nodeOf(catalog, "svc", undefined, { svc: "FROM debian:12\n" }), root, { secrets }),
    );
    expect(log.secrets).toEqual([
      ["npmrc", "//r/:_authToken=tok-123\n"],
      ["pipconf", "[global]\n"],
      ["ca", "CA\n"],
    ]);
    const build = log.published[0]?.at(-1)?.args[1] as { platformVariants: unknown[] };
    const dockerBuild = callsOf(build.platformVariants[0]).find((c) => c.method === "dockerBuild");
    expect(dockerBuild?.args[0]).toMatchObject({ secrets: [{}, {}, {}] });
  });

  it("--no-cache: a fresh nonce reaches every step and every Dockerfile stage", async () => {
    const root = tempRepo({
      "svc/Dockerfile": "FROM debian:12 AS a\nRUN true\nFROM a\nRUN true\n",
    });
    const catalog =
      'schemaVersion: 1\nimages:\n  svc:\n    from: debian:12\n    dockerfile: svc/Dockerfile\n  app:\n    from: debian:12\n    steps:\n      - run: "true"\n';
    const variantCalls = async (name: string, noCache: boolean) => {
      const { client, log } = fakeClient();
      const backend = backendWith(client);
      await backend.preflight([]);
      const texts = { svc: "FROM debian:12 AS a\nRUN true\nFROM a\nRUN true\n" };
      await backend.build(request(nodeOf(catalog, name, undefined, texts), root, { noCache }));
      const options = log.published[0]?.at(-1)?.args[1] as { platformVariants: unknown[] };
      return callsOf(options.platformVariants[0]);
    };
    const steps = await variantCalls("app", true);
    const nonce = steps.find(
      (c) => c.method === "withEnvVariable" && c.args[0] === "HILT_NO_CACHE",
    );
    expect(nonce).toBeDefined();
    expect(steps.indexOf(nonce as Call)).toBeLessThan(
      steps.findIndex((c) => c.method === "withExec"),
    );
    // Gone from the image's configuration again.
    expect(
      steps.some((c) => c.method === "withoutEnvVariable" && c.args[0] === "HILT_NO_CACHE"),
    ).toBe(true);
    expect((await variantCalls("app", false)).some((c) => c.args[0] === "HILT_NO_CACHE")).toBe(
      false,
    );
    const docker = await variantCalls("svc", true);
    const file = docker.find((c) => c.method === "withNewFile")?.args[1] as string;
    expect(file.match(/ARG HILT_NO_CACHE/g)).toHaveLength(2);
    expect(docker.find((c) => c.method === "dockerBuild")?.args[0]).toMatchObject({
      buildArgs: expect.arrayContaining([expect.objectContaining({ name: "HILT_NO_CACHE" })]),
    });
  });

  it("an abort while a step runs: INTERRUPTED at once, nothing published", async () => {
    const { client, log } = fakeClient({ sync: () => new Promise(() => {}) });
    const backend = backendWith(client);
    await backend.preflight([]);
    const controller = new AbortController();
    const building = backend.build(
      request(nodeOf(STEPS, "app"), tempRepo({}), { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 20);
    await expect(building).rejects.toMatchObject({ code: "INTERRUPTED", exitCode: 130 });
    expect(log.published).toEqual([]);
  });

  it("an abort that lands as the build completes still publishes nothing", async () => {
    const controller = new AbortController();
    const { client, log } = fakeClient({
      sync: async () => {
        controller.abort();
        return "id";
      },
    });
    const backend = backendWith(client);
    await backend.preflight([]);
    await expect(
      backend.build(request(nodeOf(STEPS, "app"), tempRepo({}), { signal: controller.signal })),
    ).rejects.toMatchObject({ code: "INTERRUPTED" });
    expect(log.published).toEqual([]);
  });

  it("fails with PLATFORM_MISSING when the engine kept another platform, and publishes nothing", async () => {
    const { client, log } = fakeClient({ platform: () => "linux/amd64" });
    const backend = backendWith(client);
    await backend.preflight([]);
    const node = { ...nodeOf(STEPS, "app"), platforms: ["linux/amd64", "linux/arm64"] };
    const error = await backend.build(request(node, tempRepo({}))).catch((e: HiltError) => e);
    expect(error).toBeInstanceOf(HiltError);
    expect((error as HiltError).code).toBe("PLATFORM_MISSING");
    expect((error as HiltError).message).toMatch(/linux\/arm64/);
    expect(log.published).toEqual([]);
  });

  it("a failed step names the step, the command and the end of its output, not Dagger's IDs", async () => {
    const id = "Q".repeat(4000);
    const { client } = fakeClient({
      sync: () =>
        Promise.reject(
          Object.assign(new Error(`process "sh -c exit 3" did not complete ${id}`), {
            cmd: ["sh", "-c", "exit 3"],
            exitCode: 3,
            stdout: "",
            stderr: `line one\nmake: *** [all] Error 3 ${id}\n`,
          }),
        ),
    });
    const backend = backendWith(client);
    await backend.preflight([]);
    const error = (await backend
      .build(request(nodeOf(STEPS, "app"), tempRepo({})))
      .catch((e) => e)) as HiltError;
    expect(error.code).toBe("BUILD_FAILED");
    expect(error.message).toContain("step 1 (run: exit 3)");
    expect(error.message).toContain("`exit 3` exit code: 3");
    expect(error.message).toContain("make: *** [all] Error 3");
    expect(error.message).not.toMatch(/Q{80}/);
    expect(error.message.length).toBeLessThan(1500);
  });

  it("a copy step without a build context and an unknown step fail instead of vanishing", async () => {
    const { client } = fakeClient();
    const backend = backendWith(client);
    await backend.preflight([]);
    const node = nodeOf(STEPS, "app");
    const copy = {
      ...node,
      build: { type: "steps", steps: [{ copy: { src: "a", dest: "/a" } }] },
    } as unknown as PlanNode;
    await expect(backend.build(request(copy, tempRepo({})))).rejects.toThrow(/build context/);
    const odd = {
      ...node,
      build: { type: "steps", steps: [{ chroot: "/x" }] },
    } as unknown as PlanNode;
    await expect(backend.build(request(odd, tempRepo({})))).rejects.toThrow(/no such step/);
  });

  it("a local build is loaded into the image store, and cached parents come from there", async () => {
    const catalog =
      'schemaVersion: 1\nimages:\n  base:\n    from: debian:12\n  app:\n    from: base\n    steps:\n      - run: "true"\n';
    const loaded: string[] = [];
    const saved: string[] = [];
    const { client, log } = fakeClient();
    const backend = backendWith(client, {
      load: async (node: PlanNode) => {
        loaded.push(node.name);
        return { digest: "sha256:id", ref: "hilt.local/app:input-x" };
      },
      save: async (ref: string) => {
        saved.push(ref);
        return "/tmp/parent.tar";
      },
      close: async () => {},
    });
    await backend.preflight([]);
    const node = nodeOf(catalog, "app", "none");
    const out = await backend.build(
      request(node, tempRepo({}), { push: false, baseRef: "hilt.local/base:input-y" }),
    );
    expect(out).toEqual({ digest: "sha256:id", ref: "hilt.local/app:input-x" });
    expect(loaded).toEqual(["app"]);
    expect(saved).toEqual(["hilt.local/base:input-y"]);
    expect(log.published).toEqual([]);
  });

  it("a local Dockerfile child of a catalog image fails loudly (Dagger cannot start from it)", async () => {
    const root = tempRepo({ "svc/Dockerfile": "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n" });
    const catalog =
      "schemaVersion: 1\nimages:\n  base:\n    from: debian:12\n  svc:\n    from: base\n    dockerfile: svc/Dockerfile\n";
    const { client } = fakeClient();
    const backend = backendWith(client, { close: async () => {} });
    await backend.preflight([]);
    const error = (await backend
      .build(
        request(nodeOf(catalog, "svc", "none", { svc: "FROM ${PARENT_IMAGE}\n" }), root, {
          push: false,
        }),
      )
      .catch((e) => e)) as HiltError;
    expect(error.message).toMatch(/needs --push/);
  });
});

describe("copy steps under dagger", () => {
  it("follow COPY's rule for a single file: into dest/ it keeps its name", () => {
    expect(copyDestination("conf/app.ini", "/etc/app/", true)).toBe("/etc/app/app.ini");
    expect(copyDestination("conf/app.ini", "/etc/app.ini", true)).toBe("/etc/app.ini");
    expect(copyDestination("conf", "/etc/conf/", false)).toBe("/etc/conf/");
  });

  it("copy a file with withFile (owner, mode) and a folder with withDirectory", async () => {
    const calls: unknown[][] = [];
    const record =
      (name: string) =>
      (...a: unknown[]): unknown => {
        calls.push([name, ...a]);
        return container;
      };
    const container = {
      withFile: record("withFile"),
      withDirectory: record("withDirectory"),
      withExec: record("withExec"),
    };
    const context = {
      exists: async (p: string) => p.endsWith(".ini"),
      file: (p: string) => `file:${p}`,
      directory: (p: string) => `dir:${p}`,
    };
    const apply = (copy: Record<string, string>) =>
      applyStep({} as never, container as never, { copy } as never, 0, context as never, {});
    await apply({ src: "conf/app.ini", dest: "/etc/app/", chown: "1000", chmod: "0644" });
    await apply({ src: "conf", dest: "/srv/conf", chmod: "0755" });
    expect(calls).toEqual([
      ["withFile", "/etc/app/app.ini", "file:conf/app.ini", { owner: "1000", permissions: 0o644 }],
      ["withDirectory", "/srv/conf", "dir:conf", {}],
      ["withExec", ["chmod", "-R", "0755", "/srv/conf"]],
    ]);
  });
});

describe("withNoCacheArg", () => {
  it("declares the nonce in every stage, leaving continued FROM lines alone", () => {
    expect(withNoCacheArg("ARG X\nFROM a AS b\nRUN x\nfrom b\n")).toBe(
      "ARG X\nFROM a AS b\nARG HILT_NO_CACHE\nRUN x\nfrom b\nARG HILT_NO_CACHE\n",
    );
  });
});

describe("the session", () => {
  const fakeCli = (script: string) => {
    const dir = tempRepo({});
    mkdirSync(path.join(dir, "bin"));
    const file = path.join(dir, "bin", "dagger");
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
    return file;
  };

  it("a CLI that cannot reach an engine is ENGINE_UNAVAILABLE (exit 4) with its words", async () => {
    const cli = fakeCli('echo "cannot connect to engine: no such host" >&2; exit 1');
    const error = (await openSession({ HILT_DAGGER_BIN: cli }).catch((e) => e)) as HiltError;
    expect(error.code).toBe("ENGINE_UNAVAILABLE");
    expect(error.exitCode).toBe(4);
    expect(error.message).toContain("no such host");
  });

  it("never writes process.env, and a session that dies later is reported, not lost", async () => {
    const before = { ...process.env };
    const cli = fakeCli(
      'echo \'{"port":1,"session_token":"t"}\'; sleep 0.3; echo "engine gone" >&2; exit 2',
    );
    const session = await openSession({ HILT_DAGGER_BIN: cli, PATH: "/usr/bin:/bin" });
    expect(process.env).toEqual(before);
    await expect(session.lost).rejects.toMatchObject({
      code: "ENGINE_UNAVAILABLE",
      message: expect.stringContaining("engine gone"),
    });
    await session.close();
  });
});

describe("--engine auto", () => {
  const withCli = () => {
    const dir = tempRepo({});
    const file = path.join(dir, "dagger");
    writeFileSync(file, "#!/bin/sh\nexit 1\n");
    chmodSync(file, 0o755);
    return { HILT_DAGGER_BIN: file };
  };

  it("takes dagger only when an engine answers (keeping the probe's session), docker otherwise", async () => {
    const session = borrowedSession(fakeClient().client);
    expect(await chooseEngine("auto", withCli(), async () => session)).toEqual({
      engine: "dagger",
      session,
    });
    expect(await chooseEngine("auto", withCli(), async () => undefined)).toEqual({
      engine: "docker",
    });
    let probed = false;
    const probe = async () => {
      probed = true;
      return session;
    };
    expect((await chooseEngine("auto", { PATH: "/nonexistent" }, probe)).engine).toBe("docker");
    expect(probed).toBe(false);
    expect((await chooseEngine("dagger", {}, probe)).engine).toBe("dagger");
    expect(
      (await chooseEngine("auto", { DAGGER_SESSION_PORT: "1", DAGGER_SESSION_TOKEN: "t" }, probe))
        .engine,
    ).toBe("dagger");
  });

  it("the probe's session is closed with the backend; a borrowed one is not", async () => {
    let closed = 0;
    const session = { ...borrowedSession(fakeClient().client), close: async () => void closed++ };
    const owned = new DaggerBackend({ session, ownsSession: true, env: {} });
    await owned.preflight([]);
    await owned.close();
    expect(closed).toBe(1);
    const borrowed = new DaggerBackend({ session, env: {} });
    await borrowed.preflight([]);
    await borrowed.close();
    expect(closed).toBe(1);
  });
});
