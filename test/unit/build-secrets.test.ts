import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend, BuildRequest } from "../../src/engine/backend.js";
import {
  prepareBuildSecrets,
  withCatalogSecrets,
  withoutCredentials,
} from "../../src/host/build-secrets.js";

const TOKEN = "npm_tok3n-never-in-service-builds";
const options = {
  npmRegistry: "https://registry.example.test/npm/",
  pipIndex: "https://user:pip-pass-secret@pypi.example.test/simple",
  caCert: "/nonexistent/ca.pem",
};

describe("build secrets", () => {
  it("service builds get the registry but no token unless the caller opts in", async () => {
    const prepared = await prepareBuildSecrets({ ...options, env: { NPM_TOKEN: TOKEN } });
    try {
      const service = readFileSync(prepared.secrets.npmrc as string, "utf8");
      expect(service).toBe("registry=https://registry.example.test/npm/\n");
      const pip = readFileSync(prepared.secrets.pipconf as string, "utf8");
      expect(pip).toContain("index-url = https://pypi.example.test/simple");
      expect(pip).not.toContain("pip-pass-secret");
      const catalog = readFileSync(prepared.catalogSecrets.npmrc as string, "utf8");
      expect(catalog).toContain(`//registry.example.test/npm/:_authToken=${TOKEN}`);
      expect(readFileSync(prepared.catalogSecrets.pipconf as string, "utf8")).toContain(
        "pip-pass-secret",
      );
    } finally {
      await prepared.cleanup();
    }
    expect(existsSync(prepared.secrets.npmrc as string)).toBe(false);
    expect(existsSync(prepared.catalogSecrets.npmrc as string)).toBe(false);
  });

  it("with buildSecrets, service builds get what catalog builds get; NODE_AUTH_TOKEN counts", async () => {
    const prepared = await prepareBuildSecrets({
      ...options,
      buildSecrets: true,
      env: { NODE_AUTH_TOKEN: TOKEN },
    });
    try {
      expect(prepared.secrets).toEqual(prepared.catalogSecrets);
      expect(readFileSync(prepared.secrets.npmrc as string, "utf8")).toContain(TOKEN);
    } finally {
      await prepared.cleanup();
    }
  });

  it("strips credentials from registry URLs", () => {
    expect(withoutCredentials("https://u:p@host.test/x")).toBe("https://host.test/x");
    expect(withoutCredentials("https://host.test/x")).toBe("https://host.test/x");
    expect(withoutCredentials("not a url")).toBeUndefined();
  });

  it("catalog images get the catalog secrets, services the others", async () => {
    const seen: Record<string, string | undefined> = {};
    const backend = {
      name: "docker",
      build: async (r: BuildRequest) => {
        seen[r.node.kind] = r.secrets.npmrc;
        return { digest: "sha256:x", ref: "x" };
      },
    } as unknown as Backend;
    const scoped = withCatalogSecrets(backend, { npmrc: "/catalog" });
    const request = (kind: string) =>
      ({ node: { kind }, secrets: { npmrc: "/service" } }) as unknown as BuildRequest;
    await scoped.build(request("catalog"));
    await scoped.build(request("service"));
    expect(seen).toEqual({ catalog: "/catalog", service: "/service" });
  });
});

describe("Go build settings", () => {
  const go = {
    GOPROXY: "https://ci:go-pr0xy-secret@goproxy.example.test/mod,https://proxy.golang.org|direct",
    GONOSUMDB: "corp.example.test/*",
    GOFLAGS: "-buildvcs=false",
    GOSUMDB: "",
    GOPRIVATE: "evil\nGOFLAGS=-toolexec=x",
  };

  it("service builds get GOPROXY without its credentials; catalog builds get it whole", async () => {
    const prepared = await prepareBuildSecrets({ ...options, goEnv: go, env: {} });
    try {
      const service = readFileSync(prepared.secrets.goenv as string, "utf8");
      expect(service).toBe(
        [
          "GOPROXY=https://goproxy.example.test/mod,https://proxy.golang.org|direct",
          "GONOSUMDB=corp.example.test/*",
          "GOFLAGS=-buildvcs=false",
          "",
        ].join("\n"),
      );
      const catalog = readFileSync(prepared.catalogSecrets.goenv as string, "utf8");
      expect(catalog).toContain("go-pr0xy-secret");
      // A value spanning lines would smuggle in another setting: left out.
      expect(catalog).not.toContain("toolexec");
    } finally {
      await prepared.cleanup();
    }
    expect(existsSync(prepared.secrets.goenv as string)).toBe(false);
  });

  it("reads the host's go settings without running go: the environment over `go env -w`'s file", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "hilt-goenv-"));
    mkdirSync(path.join(home, ".config", "go"), { recursive: true });
    writeFileSync(
      path.join(home, ".config", "go", "env"),
      "GOPROXY=https://file.example/go\nGONOSUMDB=corp.example\n",
    );
    const prepared = await prepareBuildSecrets({
      ...options,
      env: { HOME: home, GOFLAGS: "-mod=mod" },
    });
    try {
      const text = readFileSync(prepared.secrets.goenv as string, "utf8");
      expect(text).toMatch(/^GOPROXY=https:\/\/file\.example\/go$/m);
      expect(text).toMatch(/^GONOSUMDB=corp\.example$/m);
      expect(text).toMatch(/^GOFLAGS=-mod=mod$/m);
      // Nothing written into the home folder (go itself would add its telemetry folder).
      expect(readdirSync(path.join(home, ".config"))).toEqual(["go"]);
      expect(readdirSync(path.join(home, ".config", "go"))).toEqual(["env"]);
    } finally {
      await prepared.cleanup();
    }
  });
});
