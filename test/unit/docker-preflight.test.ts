import { chmodSync, writeFileSync } from "node:fs";
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
});
