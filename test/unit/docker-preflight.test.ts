import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DockerBackend } from "../../src/engine/docker/backend.js";
import { exec } from "../../src/host/exec.js";
import { planOf } from "../helpers/catalog.js";
import { tempRepo } from "../helpers/cli.js";

// A stand-in `docker` that answers like a daemon with only the classic builder.
function classicDocker(): string {
  const dir = tempRepo({});
  const bin = path.join(dir, "docker");
  writeFileSync(
    bin,
    '#!/bin/sh\ncase "$1" in\n  version) echo 20.10.24 ;;\n  buildx) echo "docker: \'buildx\' is not a docker command." >&2; exit 1 ;;\nesac\n',
  );
  chmodSync(bin, 0o755);
  return bin;
}

describe("docker backend preflight", () => {
  it("says clearly that a classic-builder-only daemon cannot build", async () => {
    const bin = classicDocker();
    const backend = new DockerBackend({ run: (r) => exec({ ...r, command: bin }) });
    await expect(
      backend.preflight(planOf("schemaVersion: 1\nimages:\n  a: {from: 'x:1'}\n").nodes),
    ).rejects.toMatchObject({
      code: "BUILDX_MISSING",
      exitCode: 4,
      hint: expect.stringMatching(/docker-buildx/),
    });
  });

  it("refuses foreign platforms rather than emulating them", async () => {
    const dir = tempRepo({});
    const bin = path.join(dir, "docker");
    writeFileSync(bin, "#!/bin/sh\necho ok\n");
    chmodSync(bin, 0o755);
    const backend = new DockerBackend({ run: (r) => exec({ ...r, command: bin }) });
    const nodes = planOf("schemaVersion: 1\nimages:\n  a: {from: 'x:1'}\n", {
      platforms: ["linux/s390x"],
    }).nodes;
    await expect(backend.preflight(nodes)).rejects.toMatchObject({
      code: "PLATFORM_UNSUPPORTED",
      hint: expect.stringMatching(/--platform linux\/amd64/),
    });
  });

  it("keeps the user's plugins, builder and credential helpers in its private config", async () => {
    const user = tempRepo({
      "cli-plugins/docker-buildx": "#!/bin/sh\n",
      "buildx/current": "mybuilder",
      "config.json": JSON.stringify({
        credsStore: "desktop",
        credHelpers: { "gcr.io": "gcloud" },
        currentContext: "remote",
      }),
    });
    const record = path.join(tempRepo({}), "seen");
    const bin = path.join(tempRepo({}), "docker");
    // A docker that has buildx only through the config folder's cli-plugins, like a user install.
    writeFileSync(
      bin,
      `#!/bin/sh\ncase "$1" in\n  version) cp "$DOCKER_CONFIG/config.json" "${record}.json"; ls "$DOCKER_CONFIG/buildx" > "${record}.builder" ;;\n  buildx) test -e "$DOCKER_CONFIG/cli-plugins/docker-buildx" || exit 1 ;;\nesac\n`,
    );
    chmodSync(bin, 0o755);
    const backend = new DockerBackend({
      run: (r) => exec({ ...r, command: bin }),
      env: { DOCKER_CONFIG: user },
      credentials: new Map([
        ["127.0.0.1:5001", { username: "u", password: "p", source: "HILT_REGISTRY_PASSWORD" }],
      ]),
    });
    const nodes = planOf("schemaVersion: 1\nimages:\n  a: {from: 'x:1'}\n").nodes;
    await backend.preflight(nodes);
    const config = JSON.parse(readFileSync(`${record}.json`, "utf8"));
    expect(config.credsStore).toBe("desktop");
    expect(config.currentContext).toBe("remote");
    expect(config.credHelpers).toEqual({ "gcr.io": "gcloud", "127.0.0.1:5001": "" });
    expect(config.auths["127.0.0.1:5001"].auth).toBe(Buffer.from("u:p").toString("base64"));
    expect(readFileSync(`${record}.builder`, "utf8")).toContain("current");
    await backend.close();
  });

  it("removes its temporary folder on close, also after an aborted build", async () => {
    const bin = path.join(tempRepo({}), "docker");
    writeFileSync(bin, "#!/bin/sh\necho 1\n");
    chmodSync(bin, 0o755);
    const backend = new DockerBackend({ run: (r) => exec({ ...r, command: bin }) });
    const graph = planOf("schemaVersion: 1\nimages:\n  a: {from: 'x:1', steps: [{run: 'true'}]}\n");
    const node = graph.nodes[0];
    if (!node) throw new Error("no node");
    const controller = new AbortController();
    controller.abort();
    let dir = "";
    await expect(
      backend.build({
        node,
        root: tempRepo({}),
        baseRef: "x:1",
        tags: node.refs.immutable,
        push: false,
        noCache: false,
        secrets: {},
        sourceDateEpoch: 0,
        signal: controller.signal,
        log: (line) => {
          dir = line.match(/--file (\S+)\/a\/Dockerfile/)?.[1] ?? dir;
        },
      }),
    ).rejects.toMatchObject({ code: "INTERRUPTED" });
    expect(dir).not.toBe("");
    expect(existsSync(dir)).toBe(true);
    await backend.close();
    expect(existsSync(dir)).toBe(false);
  });
});
