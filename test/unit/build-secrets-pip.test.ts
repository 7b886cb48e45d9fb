import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareBuildSecrets } from "../../src/host/build-secrets.js";
import { iniValue, pipConfigFiles, pipConfigValue } from "../../src/host/pip-config.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake home + XDG dirs + venv; the real /etc/pip.conf is never present in these tests. */
function hostTree(files: Record<string, string>) {
  const root = mkdtempSync(path.join(tmpdir(), "hilt-pipconf-"));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  const env = {
    HOME: path.join(root, "home"),
    XDG_CONFIG_DIRS: path.join(root, "xdg"),
    VIRTUAL_ENV: path.join(root, "venv"),
    PATH: "",
  };
  const exists = (f: string) => (f === "/etc/pip.conf" ? false : existsSync(f));
  return { root, env, exists };
}

describe("pip config read without pip", () => {
  it("reads global.index-url like RawConfigParser: `:`, `_`, case, comments, last wins", () => {
    const text = [
      "[install]",
      "index-url = https://wrong.example/",
      "# index-url = https://comment.example/",
      "[global]",
      "Index_URL: https://first.example/",
      "; a comment",
      "index-url = https://second.example/simple",
      "timeout = 3",
    ].join("\n");
    expect(iniValue(text, "global", "index-url")).toBe("https://second.example/simple");
    expect(iniValue(text, "install", "index-url")).toBe("https://wrong.example/");
    expect(iniValue("[global]\ntimeout=1\n", "global", "index-url")).toBeUndefined();
  });

  it("keeps pip's precedence: global < user (legacy < XDG) < site (venv) < PIP_CONFIG_FILE", async () => {
    const t = hostTree({
      "xdg/pip/pip.conf": "[global]\nindex-url = https://global.example/\n",
      "home/.pip/pip.conf": "[global]\nindex-url = https://legacy.example/\n",
      "home/.config/pip/pip.conf": "[global]\nindex-url = https://user.example/\n",
    });
    const get = (env: Record<string, string>) =>
      pipConfigValue(env, "global", "index-url", t.exists);
    expect(await get(t.env)).toBe("https://user.example/");
    mkdirSync(path.join(t.root, "venv"));
    writeFileSync(
      path.join(t.root, "venv/pip.conf"),
      "[global]\nindex-url=https://site.example/\n",
    );
    expect(await get(t.env)).toBe("https://site.example/");
    const envFile = path.join(t.root, "env.conf");
    writeFileSync(envFile, "[global]\nindex-url = https://env.example/\n");
    expect(await get({ ...t.env, PIP_CONFIG_FILE: envFile })).toBe("https://env.example/");
    // An existing PIP_CONFIG_FILE turns the user files off; a missing one does not.
    writeFileSync(envFile, "[global]\ntimeout = 1\n");
    rmSync(path.join(t.root, "venv/pip.conf"));
    expect(await get({ ...t.env, PIP_CONFIG_FILE: envFile })).toBe("https://global.example/");
    expect(await get({ ...t.env, PIP_CONFIG_FILE: `${envFile}.missing` })).toBe(
      "https://user.example/",
    );
    // /dev/null loads nothing at all, and PIP_INDEX_URL is not what `pip config get` reports.
    expect(await get({ ...t.env, PIP_CONFIG_FILE: "/dev/null" })).toBeUndefined();
    expect(
      await get({ ...t.env, PIP_CONFIG_FILE: "/dev/null", PIP_INDEX_URL: "https://x/" }),
    ).toBeUndefined();
  });

  it("lists /etc/pip.conf and honours XDG_CONFIG_HOME", () => {
    const files = pipConfigFiles(
      { HOME: "/h", XDG_CONFIG_HOME: "/cfg", PATH: "", VIRTUAL_ENV: "/v" },
      () => false,
    );
    expect(files).toEqual([
      "/etc/xdg/pip/pip.conf",
      "/etc/pip.conf",
      "/h/.pip/pip.conf",
      "/cfg/pip/pip.conf",
      "/v/pip.conf",
    ]);
  });

  it("feeds the host index into the build secrets, credentials only for catalog images", async () => {
    const t = hostTree({
      "home/.config/pip/pip.conf":
        "[global]\nindex-url = https://u:pip-secret-pass@pypi.example.test/simple\n",
    });
    const prepared = await prepareBuildSecrets({
      npmRegistry: "https://registry.example.test/",
      caCert: "/nonexistent/ca.pem",
      goEnv: {},
      env: t.env,
    });
    try {
      const service = readFileSync(prepared.secrets.pipconf as string, "utf8");
      expect(service).toContain("index-url = https://pypi.example.test/simple");
      expect(service).not.toContain("pip-secret-pass");
      expect(readFileSync(prepared.catalogSecrets.pipconf as string, "utf8")).toContain(
        "https://u:pip-secret-pass@pypi.example.test/simple",
      );
    } finally {
      await prepared.cleanup();
    }
  });
});
