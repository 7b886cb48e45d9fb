// Hostile builder and cache settings (issue 12): a builder name that is a flag or a shell
// command, a builder that does not exist, a cache mode nobody knows, two platforms with nowhere
// to put them. Each is a coded error before anything is built, one JSON document on stdout,
// nothing written, no token echoed.
import { describe, expect, it } from "vitest";
import { tempRepo } from "../helpers/cli.js";
import { box, expectFailure } from "./cli-contract.js";

const CATALOG = "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n";
const TOKEN = "hilt_s3cretRegistryT0ken77";

interface Case {
  name: string;
  args: string[];
  code: string;
  exit: number;
  says: RegExp;
  pipeline?: string;
  env?: Record<string, string>;
}

// --offline: no base digest lookups, so no case waits on a registry it cannot reach; the npm
// registry and CA given, so no `npm config get` (which logs under HOME).
const build = [
  "build-all",
  "--json",
  "--offline",
  "--engine",
  "docker",
  "--npm-registry",
  "https://registry.npmjs.org/",
  "--ca-cert",
  "/etc/ssl/certs/ca-certificates.crt",
];

const cases: Case[] = [
  {
    name: "--builder that is a flag",
    args: [...build, "--builder", "--rm"],
    code: "INVALID_ARGUMENT",
    exit: 2,
    says: /--builder/,
  },
  {
    name: "--builder that is a shell command",
    args: [...build, "--builder", "x;touch pwned"],
    code: "INVALID_ARGUMENT",
    exit: 2,
    says: /not a buildx builder name/,
  },
  {
    name: "--builder that buildx does not know",
    args: [...build, "--builder", "no-such-builder"],
    code: "BUILDER_NOT_FOUND",
    exit: 2,
    says: /--builder names builder "no-such-builder"/,
  },
  {
    name: "HILT_BUILDER that buildx does not know",
    args: build,
    env: { HILT_BUILDER: "ghost-builder" },
    code: "BUILDER_NOT_FOUND",
    exit: 2,
    says: /HILT_BUILDER names builder "ghost-builder"/,
  },
  {
    name: "a pipeline builder that is a flag",
    args: build,
    pipeline: 'schemaVersion: 1\nbuilder: "--driver=remote"\n',
    code: "INVALID_VALUE",
    exit: 3,
    says: /pipelines\/default\.yaml:2:\d+ builder: is not a buildx builder name/,
  },
  {
    name: "a pipeline cache mode nobody knows",
    args: build,
    pipeline: "schemaVersion: 1\ncache: s3\n",
    code: "INVALID_VALUE",
    exit: 3,
    says: /cache:/,
  },
  {
    name: "two platforms and no registry to push them to",
    args: [...build, "--platform", "linux/amd64,linux/arm64"],
    code: "PLATFORM_UNSUPPORTED",
    exit: 2,
    says: /linux\/amd64 \+ linux\/arm64 cannot be loaded into the docker image store/,
  },
];

describe("hostile builder and cache settings", () => {
  it.each(cases)("$name", (c) => {
    const b = box({
      "catalog.yaml": CATALOG,
      ...(c.pipeline ? { "pipelines/default.yaml": c.pipeline } : {}),
    });
    // buildx keeps its own state in the docker config folder: a fresh one, outside the box.
    const dockerConfig = tempRepo({});
    Object.assign(b.env, {
      HILT_REGISTRY_PASSWORD: TOKEN,
      DOCKER_CONFIG: dockerConfig,
      ...c.env,
    });
    const { doc } = expectFailure(b, c.args, { exit: c.exit, code: c.code, secrets: [TOKEN] });
    expect(doc.kind).toBe("hilt.result");
    expect(doc.error.message).toMatch(c.says);
  });
});
