import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detect, detectServices } from "../../src/detect/detect.js";
import { memoryRepo } from "../../src/detect/repo-view.js";
import { HiltError } from "../../src/errors.js";
import { tempRepo } from "../helpers/cli.js";

const pkg = (value: object) => JSON.stringify(value);
const express = pkg({
  name: "api",
  scripts: { start: "node server.js" },
  dependencies: { express: "^4" },
});
const detectIn = (files: Record<string, string>) => detectServices(memoryRepo(files), "repo");
const only = (files: Record<string, string>) => {
  const result = detectIn(files);
  expect(result.services).toHaveLength(1);
  return result.services[0] as NonNullable<(typeof result.services)[0]>;
};

describe("package manager", () => {
  it("defaults to npm without a lockfile, and says so", () => {
    expect(only({ "package.json": express, "server.js": "" }).packageManager).toEqual({
      value: "npm",
      source: "default (no lockfile)",
    });
  });

  it.each([
    ["pnpm-lock.yaml", "pnpm"],
    ["bun.lockb", "bun"],
    ["yarn.lock", "yarn"],
    ["package-lock.json", "npm"],
  ])("reads %s", (lock, manager) => {
    expect(only({ "package.json": express, [lock]: "" }).packageManager?.value).toBe(manager);
  });

  it("tells yarn berry from yarn 1 by .yarnrc.yml", () => {
    expect(
      only({ "package.json": express, "yarn.lock": "", ".yarnrc.yml": "nodeLinker: node-modules" })
        .packageManager?.value,
    ).toBe("yarn-berry");
  });

  it("prefers the packageManager field and keeps its version", () => {
    const s = only({
      "package.json": pkg({ ...JSON.parse(express), packageManager: "yarn@4.1.0" }),
      "package-lock.json": "",
    });
    expect(s.packageManager).toEqual({
      value: "yarn-berry",
      source: "package.json#packageManager",
    });
    expect(s.packageManagerVersion?.value).toBe("4.1.0");
  });

  it("warns when lockfiles conflict and uses the first in precedence", () => {
    const result = detectIn({
      "package.json": express,
      "package-lock.json": "",
      "pnpm-lock.yaml": "",
    });
    expect(result.services[0]?.packageManager?.value).toBe("pnpm");
    expect(result.warnings.join("\n")).toMatch(
      /conflicting lockfiles pnpm-lock.yaml, package-lock.json/,
    );
  });

  it("marks bun projects as bun", () => {
    expect(only({ "package.json": express, "bun.lock": "" }).language.value).toBe("bun");
  });
});

describe("services and roles", () => {
  it("finds a client/server pair", () => {
    const result = detectIn({
      "client/package.json": pkg({
        scripts: { build: "vite build" },
        devDependencies: { vite: "5" },
      }),
      "server/package.json": express,
      "server/server.js": "app.listen(process.env.PORT || 5050)",
    });
    expect(result.client).toBe("client");
    expect(result.server).toBe("server");
    expect(result.ports).toEqual({ client: 8080, server: 5050 });
  });

  it("finds a backend at the root with a frontend in a subfolder", () => {
    const result = detectIn({
      "package.json": express,
      "server.js": "const PORT = process.env.PORT ?? 3100;",
      "frontend/package.json": pkg({
        scripts: { build: "react-scripts build" },
        dependencies: { "react-scripts": "5" },
      }),
    });
    expect(result.services.map((s) => [s.path, s.role.value])).toEqual([
      [".", "server"],
      ["frontend", "client"],
    ]);
    expect(result.ports.api).toBe(3100);
  });

  it("finds a client/server pair one folder down", () => {
    const result = detectIn({
      "app/client/index.html": "<html>",
      "app/server/package.json": express,
      "README.md": "",
    });
    expect(result.services.map((s) => s.path)).toEqual(["app/client", "app/server"]);
  });

  it("skips library packages of a workspace and the aggregating root", () => {
    const result = detectIn({
      "package.json": pkg({ private: true, workspaces: ["apps/*", "packages/*"] }),
      "apps/api/package.json": express,
      "packages/utils/package.json": pkg({ name: "@x/utils", main: "index.js" }),
      "packages/utils/index.js": "",
    });
    expect(result.services.map((s) => s.path)).toEqual(["apps/api"]);
  });

  it("reads pnpm workspaces from pnpm-workspace.yaml", () => {
    const result = detectIn({
      "package.json": pkg({}),
      "pnpm-workspace.yaml": "packages:\n  - services/*\n",
      "services/a/package.json": express,
      "pnpm-lock.yaml": "",
    });
    expect(result.services.map((s) => [s.path, s.packageManager?.source])).toEqual([
      ["services/a", "pnpm-lock.yaml"],
    ]);
  });

  it("lets a server language win over a stray package.json", () => {
    const s = only({
      "requirements.txt": "flask\ngunicorn\n",
      "app.py": "app = Flask(__name__)",
      "package.json": pkg({ devDependencies: { prettier: "3" } }),
    });
    expect(s.language.value).toBe("python");
    expect(s.framework?.value).toBe("flask");
    expect(s.startCommand?.value).toBe("gunicorn --bind 0.0.0.0:$PORT app:app");
    expect(s.port).toEqual({ value: 5000, source: "flask default" });
  });

  it("finds nothing in an empty folder", () => {
    expect(detectIn({}).services).toEqual([]);
  });

  it("says unknown rather than guess", () => {
    const s = only({ "svc/Dockerfile": "FROM scratch\n", "svc/Makefile": "" });
    expect(s.language).toEqual({ value: "unknown", source: "no manifest found" });
    expect(s.dockerfile?.value).toBe("svc/Dockerfile");
  });
});

describe("existing Dockerfiles", () => {
  it("reuses a Dockerfile and reads its EXPOSE", () => {
    const s = only({
      "package.json": express,
      Dockerfile: "FROM node:20\nEXPOSE 9000\n",
      "server.js": "listen(3000)",
    });
    expect(s.dockerfile).toEqual({ value: "Dockerfile", source: "existing file" });
    expect(s.port).toEqual({ value: 9000, source: "Dockerfile#EXPOSE" });
  });

  it("reuses a Containerfile", () => {
    expect(
      only({ "go.mod": "module x\n\ngo 1.22\n", Containerfile: "FROM x\n" }).dockerfile?.value,
    ).toBe("Containerfile");
  });

  it("reuses a Dockerfile a compose file names", () => {
    const s = only({
      "compose.yaml":
        "services:\n  api:\n    build:\n      context: backend\n      dockerfile: docker/api.Dockerfile\n",
      "backend/go.mod": "module x\n",
      "backend/docker/api.Dockerfile": "FROM golang\nEXPOSE 7070\n",
    });
    expect(s.dockerfile).toEqual({
      value: "backend/docker/api.Dockerfile",
      source: "compose.yaml#services.api.build",
    });
    expect(s.port?.value).toBe(7070);
  });
});

describe("languages and frameworks", () => {
  it.each([
    [{ next: "14" }, "nextjs", 3000],
    [{ "@nestjs/core": "10" }, "nestjs", 3000],
    [{ fastify: "4" }, "fastify", 3000],
    [{ vite: "5", vue: "3" }, "vite-vue", 8080],
    [{ "react-scripts": "5" }, "cra", 8080],
  ])("%o → %s on %i", (deps, framework, port) => {
    const s = only({
      "package.json": pkg({ scripts: { build: "x", start: "x" }, dependencies: deps }),
    });
    expect([s.framework?.value, s.port?.value]).toEqual([framework, port]);
  });

  it("takes the Node version from engines, then .nvmrc", () => {
    expect(
      only({ "package.json": pkg({ ...JSON.parse(express), engines: { node: "22.x" } }) })
        .runtimeVersion?.source,
    ).toBe("package.json#engines.node");
    expect(only({ "package.json": express, ".nvmrc": "v18.19.0\n" }).runtimeVersion).toEqual({
      value: "18.19.0",
      source: ".nvmrc",
    });
  });

  it("detects FastAPI with uv and its entry module", () => {
    const s = only({
      "pyproject.toml": '[project]\nrequires-python = ">=3.12"\ndependencies = ["fastapi"]\n',
      "uv.lock": "",
      "app/main.py": "api = FastAPI()\n",
    });
    expect(s.packageManager?.value).toBe("uv");
    expect(s.runtimeVersion?.value).toBe(">=3.12");
    expect(s.startCommand?.value).toBe("uvicorn app.main:api --host 0.0.0.0 --port $PORT");
  });

  it("detects Django with poetry", () => {
    const s = only({
      "pyproject.toml":
        "[tool.poetry]\nname='x'\n[tool.poetry.dependencies]\ndjango = '5'\ngunicorn = '22'\n",
      "manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')",
    });
    expect([s.packageManager?.value, s.framework?.value, s.startCommand?.value]).toEqual([
      "poetry",
      "django",
      "gunicorn --bind 0.0.0.0:$PORT mysite.wsgi",
    ]);
  });

  it("reads a uvicorn port from the source", () => {
    expect(
      only({
        "requirements.txt": "fastapi",
        "main.py": "app = FastAPI()\nuvicorn.run(app, port=8123)\n",
      }).port?.value,
    ).toBe(8123);
  });

  it("builds Go from cmd/<name> and finds ListenAndServe's port", () => {
    const s = only({
      "go.mod": "module x\n\ngo 1.22.3\nrequire github.com/gin-gonic/gin v1.9.0\n",
      "cmd/api/main.go": 'http.ListenAndServe(":9090", r)',
    });
    expect([
      s.framework?.value,
      s.runtimeVersion?.value,
      s.buildCommand?.value,
      s.port?.value,
    ]).toEqual(["gin", "1.22.3", "go build -o /out/app ./cmd/api", 9090]);
  });

  it("serves a plain static site", () => {
    expect(only({ "index.html": "<html>" }).language.value).toBe("static");
  });
});

describe("on disk", () => {
  it("never descends into node_modules, even when committed", () => {
    const dir = tempRepo({
      "package.json": express,
      "node_modules/express/package.json": express,
      "node_modules/x/server/package.json": express,
    });
    expect(detect(dir).services.map((s) => s.path)).toEqual(["."]);
  });

  it("ignores a symlink that escapes the repository, with a warning", () => {
    const outside = tempRepo({ "secret.js": "listen(1111)" });
    const dir = tempRepo({ "package.json": express });
    symlinkSync(path.join(outside, "secret.js"), path.join(dir, "server.js"));
    symlinkSync(outside, path.join(dir, "linked"));
    const result = detect(dir);
    expect(result.services[0]?.port).toEqual({ value: 3000, source: "express default" });
    expect(result.warnings.some((w) => w.includes("symlink points outside"))).toBe(true);
  });

  it("gives clear errors for a missing path and a file", () => {
    expect(() => detect("/nonexistent/repo")).toThrow(HiltError);
    const dir = tempRepo({ "a.txt": "" });
    try {
      detect(path.join(dir, "a.txt"));
      expect.unreachable();
    } catch (error) {
      expect((error as HiltError).code).toBe("NOT_A_DIRECTORY");
    }
  });

  it("handles an unreadable package.json as unknown, with a warning", () => {
    const dir = tempRepo({ "package.json": "{ not json" });
    mkdirSync(path.join(dir, "x"));
    writeFileSync(path.join(dir, "x", "index.html"), "<html>");
    const result = detect(dir);
    expect(result.warnings.join()).toMatch(/package.json: not valid JSON/);
  });

  it("names a file too large to read and a FIFO, and goes on", () => {
    const dir = tempRepo({ "api/package.json": express });
    writeFileSync(path.join(dir, "package.json"), "{");
    truncateSync(path.join(dir, "package.json"), 2 * 1024 * 1024);
    expect(spawnSync("mkfifo", [path.join(dir, "api/server.js")]).status).toBe(0);
    const result = detect(dir);
    expect(result.services.map((s) => s.path)).toEqual(["api"]);
    expect(result.warnings).toContain(
      "package.json is too large (2097152 bytes; the limit is 524288); ignored",
    );
    expect(result.warnings.join("\n")).toMatch(/api\/server\.js is not a regular file/);
    expect(result.warnings.join("\n")).not.toMatch(/not valid JSON/);
  });

  it("lists no folder reached through a link, even a link inside the repository", () => {
    const dir = tempRepo({ "real/package.json": express });
    symlinkSync(path.join(dir, "real"), path.join(dir, "alias"));
    writeFileSync(path.join(dir, "package.json"), pkg({ workspaces: ["alias"] }));
    expect(detect(dir).services.map((s) => s.path)).toEqual(["real"]);
  });
});

describe("workspace globs (picomatch)", () => {
  const member = pkg({ scripts: { start: "node s.js" } });
  it.each([
    [["apps/**"], ["apps/a", "apps/group", "apps/group/b"]],
    [["apps/*", "!apps/a"], ["apps/group"]],
    [["apps/{a,group}"], ["apps/a", "apps/group"]],
    [["./apps/*/"], ["apps/a", "apps/group"]],
    [["apps/g*p/*"], ["apps/group/b"]],
  ])("%j finds %j", (globs, paths) => {
    const result = detectIn({
      "package.json": pkg({ workspaces: globs }),
      "apps/a/package.json": member,
      "apps/group/package.json": member,
      "apps/group/b/package.json": member,
      "apps/node_modules/x/package.json": member,
    });
    expect(result.services.map((s) => s.path)).toEqual(paths);
  });

  it("reads workspaces.packages and drops fields of the wrong type", () => {
    const result = detectIn({
      "package.json": pkg({ workspaces: { packages: ["apps/*"] }, name: 5, engines: [1] }),
      "apps/a/package.json": pkg({
        scripts: { start: 1, build: "x" },
        main: {},
        dependencies: { express: "4", bad: 5 },
      }),
    });
    expect(result.services.map((s) => s.path)).toEqual(["apps/a"]);
    expect(result.services[0]?.startCommand).toBeUndefined();
    expect(result.services[0]?.buildCommand?.value).toBe("npm run build");
  });
});

describe("compose files leaving the repository", () => {
  it.each([
    ["../../outside/secret", "dockerfile"],
    ["/etc/passwd", "dockerfile"],
  ])("refuses build.dockerfile %s, naming the field", (dockerfile, field) => {
    const result = detectIn({
      "api/package.json": express,
      "compose.yaml": `services:\n  api:\n    build:\n      context: api\n      dockerfile: ${dockerfile}\n`,
    });
    expect(result.services[0]?.dockerfile).toBeUndefined();
    expect(result.warnings.join("\n")).toContain(
      `PATH_OUTSIDE_ROOT: compose.yaml: services.api.build.${field}`,
    );
  });

  it("does not reuse a compose Dockerfile that does not exist", () => {
    const result = detectIn({
      "api/package.json": express,
      "compose.yaml": "services:\n  api:\n    build: api\n",
    });
    expect(result.services[0]?.dockerfile).toBeUndefined();
    expect(result.warnings.join("\n")).toMatch(/api\/Dockerfile is not a readable regular file/);
  });

  it("does not take a literal workspace folder whose name holds a newline", () => {
    const dir = tempRepo({ "apps/x\ny/package.json": express });
    writeFileSync(path.join(dir, "package.json"), pkg({ workspaces: ["apps/x\ny"] }));
    expect(detect(dir).services).toEqual([]);
  });
});
