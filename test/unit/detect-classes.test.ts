// Issue 13's detection mistakes, one class per block: each case failed before the fix.
import { describe, expect, it } from "vitest";
import { detectServices } from "../../src/detect/detect.js";
import { memoryRepo } from "../../src/detect/repo-view.js";

const pkg = (value: object) => JSON.stringify(value);
const detectIn = (files: Record<string, string>) => detectServices(memoryRepo(files), "repo");
const only = (files: Record<string, string>) => {
  const result = detectIn(files);
  expect(result.services.map((s) => s.path)).toHaveLength(1);
  return result.services[0] as NonNullable<(typeof result.services)[0]>;
};
const express = pkg({ scripts: { start: "node server.js" }, dependencies: { express: "^4" } });

describe("libraries and asset folders are not services", () => {
  it("a turbo monorepo: UI and tooling packages others import are libraries", () => {
    const result = detectIn({
      "package.json": pkg({ private: true, workspaces: ["apps/*", "packages/*", "tooling/*"] }),
      "apps/web/package.json": pkg({
        name: "web",
        scripts: { build: "next build", start: "next start" },
        dependencies: { next: "14", "@acme/ui": "workspace:*" },
        devDependencies: { "@acme/eslint-config": "workspace:*" },
      }),
      "packages/ui/package.json": pkg({
        name: "@acme/ui",
        exports: { ".": "./src/index.tsx" },
        scripts: { lint: "eslint ." },
        peerDependencies: { next: "14", react: "18" },
        devDependencies: { next: "14" },
      }),
      "packages/ui/src/index.tsx": "export const Button = () => null;",
      "tooling/eslint/package.json": pkg({ name: "@acme/eslint-config", main: "index.js" }),
      "tooling/eslint/index.js": "module.exports = {};",
    });
    expect(result.services.map((s) => s.path)).toEqual(["apps/web"]);
  });

  it("a CRA public/ folder and a Flask templates/ folder are not static sites", () => {
    expect(
      detectIn({
        "package.json": pkg({
          scripts: { build: "react-scripts build" },
          dependencies: { "react-scripts": "5" },
        }),
        "public/index.html": "<html>",
      }).services.map((s) => s.path),
    ).toEqual(["."]);
    expect(
      detectIn({
        "requirements.txt": "flask\n",
        "app.py": "app = Flask(__name__)\n",
        "templates/index.html": "<html>",
        "static/index.html": "<html>",
      }).services.map((s) => s.path),
    ).toEqual(["."]);
  });

  it("a library-only Bun repository has no services, and says why", () => {
    const result = detectIn({
      "package.json": pkg({
        name: "tinyslug",
        module: "src/index.ts",
        exports: { ".": "./src/index.ts" },
        workspaces: ["packages/*"],
        scripts: { test: "bun test" },
      }),
      "bun.lock": "",
      "src/index.ts": "export const slug = (s: string) => s;",
      "packages/cli/package.json": pkg({
        name: "tinyslug-cli",
        bin: { tinyslug: "./src/cli.ts" },
        dependencies: { tinyslug: "workspace:*" },
      }),
      "packages/cli/src/cli.ts": "console.log(1)",
    });
    expect(result.services).toEqual([]);
    expect(result.warnings.join("\n")).toMatch(
      /no services: .*packages\/cli \(a command-line tool/,
    );
  });

  it("a single package with only an index.ts that serves nothing is a library", () => {
    const result = detectIn({
      "package.json": pkg({
        name: "lib",
        module: "index.ts",
        devDependencies: { "@types/bun": "1" },
      }),
      "bun.lock": "",
      "index.ts": 'console.log("Hello via Bun!");',
    });
    expect(result.services).toEqual([]);
  });

  it("a package serving HTTP from its entry without a start script is a service", () => {
    const s = only({
      "package.json": pkg({ name: "api", module: "index.ts" }),
      "bun.lock": "",
      "index.ts": "Bun.serve({ port: Bun.env.PORT ?? 3030, fetch() {} });",
    });
    expect([s.startCommand?.value, s.port?.value]).toEqual(["bun index.ts", 3030]);
  });
});

describe("start commands that run", () => {
  it("nodemon as a devDependency: starts the real entry with node, and warns", () => {
    const result = detectIn({
      "server/package.json": pkg({
        main: "server.js",
        scripts: { start: "nodemon server.js" },
        dependencies: { express: "4" },
        devDependencies: { nodemon: "3" },
      }),
      "server/server.js": "app.listen(process.env.PORT || 5000)",
    });
    expect(result.services[0]?.startCommand?.value).toBe("node server.js");
    expect(result.warnings.join("\n")).toMatch(/runs nodemon.*starting with "node server.js"/);
  });

  it("`nest start` with the Nest CLI as a devDependency: start:prod", () => {
    const s = only({
      "package.json": pkg({
        scripts: { build: "nest build", start: "nest start", "start:prod": "node dist/main" },
        dependencies: { "@nestjs/core": "10" },
        devDependencies: { "@nestjs/cli": "10" },
      }),
    });
    expect(s.startCommand?.value).toBe("node dist/main");
  });

  it("uvicorn names the module-level object, never a local variable", () => {
    const s = only({
      "requirements.txt": "fastapi\nuvicorn\n",
      "app/main.py":
        "def get_application():\n    application = FastAPI()\n    return application\n\napp = get_application()\n",
    });
    expect(s.startCommand?.value).toBe("uvicorn app.main:app --host 0.0.0.0 --port $PORT");
  });

  it("a FastAPI factory is started with --factory", () => {
    const s = only({
      "requirements.txt": "fastapi\n",
      "main.py": "def create_app():\n    api = FastAPI()\n    return api\n",
    });
    expect(s.startCommand?.value).toBe(
      "uvicorn --factory main:create_app --host 0.0.0.0 --port $PORT",
    );
  });

  it("a Flask factory: the module-level app of wsgi.py", () => {
    const s = only({
      "requirements.txt": "flask\ngunicorn\n",
      "app/__init__.py": "def create_app():\n    app = Flask(__name__)\n    return app\n",
      "wsgi.py": "from app import create_app\napp = create_app()\n",
    });
    expect(s.startCommand?.value).toBe("gunicorn --bind 0.0.0.0:$PORT wsgi:app");
  });

  it("Go with cmd/cli and cmd/<name>d builds the daemon", () => {
    const s = only({
      "go.mod": "module example.com/notesync\n\ngo 1.22\n",
      "cmd/notesync/main.go": 'package main\nimport "flag"\nfunc main() { flag.Parse() }\n',
      "cmd/notesyncd/main.go":
        'package main\nimport "net/http"\nfunc main() {\n\taddr := flag.String("listen", ":7070", "")\n\thttp.ListenAndServe(*addr, nil)\n}\n',
    });
    expect([s.buildCommand?.value, s.port?.value]).toEqual([
      "go build -o /out/app ./cmd/notesyncd",
      7070,
    ]);
  });

  it("a Go server behind a `serve` subcommand starts with it", () => {
    const s = only({
      "go.mod": "module x\n\ngo 1.22\n",
      "main.go":
        'package main\nimport "os"\nfunc main() {\n\tswitch os.Args[1] {\n\tcase "serve":\n\t\tserve()\n\tcase "import":\n\t}\n}\n',
      "serve.go":
        'package main\nimport "net/http"\nfunc serve() { http.ListenAndServe(":9090", nil) }\n',
    });
    expect([s.startCommand?.value, s.port?.value]).toEqual(["/app/app serve", 9090]);
  });

  it("a Go module without package main is a library", () => {
    expect(detectIn({ "go.mod": "module x\n", "slug.go": "package slug\n" }).services).toEqual([]);
  });
});

describe("ports by what runs", () => {
  it("a reused Dockerfile's CMD --port beats its EXPOSE, and the conflict is reported", () => {
    const result = detectIn({
      "requirements.txt": "flask\n",
      "app.py": "app = Flask(__name__)\n",
      Dockerfile:
        'FROM python\nEXPOSE 5000\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]\n',
    });
    const s = result.services[0];
    expect(s?.port).toEqual({ value: 8000, source: "Dockerfile#CMD" });
    expect(s?.startCommand?.value).toBe("gunicorn --bind 0.0.0.0:8000 app:app");
    expect(result.warnings.join("\n")).toMatch(/ports disagree: using 8000 .* over 5000/);
  });

  it("a Dockerfile CMD holding control characters is not shown as the start command", () => {
    const s = only({
      "package.json": express,
      Dockerfile: 'FROM node\nCMD ["node", "server.js\\u001b[2J"]\n',
    });
    expect(s.startCommand?.value).toBe("node server.js");
  });

  it("a compose file's ports target and command name the container port", () => {
    const s = only({
      "compose.yaml":
        'services:\n  api:\n    build: ./api\n    ports: ["8080:3000"]\n  db:\n    image: postgres\n',
      "api/package.json": express,
      "api/server.js": "app.listen(process.env.PORT || 5000)",
    });
    expect(s.port).toEqual({ value: 3000, source: "compose.yaml#services.api.ports" });
    const c = only({
      "docker-compose.yml":
        "services:\n  api:\n    build: .\n    command: uvicorn main:app --host 0.0.0.0 --port 8001\n",
      "requirements.txt": "fastapi\n",
      "main.py": "app = FastAPI()\n",
    });
    expect(c.port?.value).toBe(8001);
  });

  it("the port comes from the file the start command loads, not another one", () => {
    const s = only({
      "package.json": pkg({ scripts: { start: "node ./bin/www" }, dependencies: { express: "4" } }),
      "bin/www":
        "var app = require('../app');\nvar port = normalizePort(process.env.PORT || '3000');",
      "app.js": "module.exports = app;",
      "index.js": "require('http').createServer().listen(process.env.PORT || 5000)",
    });
    expect(s.port?.value).toBe(3000);
    const t = only({
      "package.json": pkg({ scripts: { start: "node src/main.js" }, dependencies: { koa: "2" } }),
      "src/main.js": "import { start } from './http.js';\nstart();",
      "src/http.js": "export const start = () => app.listen(process.env.PORT ?? 4100);",
      "server.js": "app.listen(process.env.PORT || 5000)",
    });
    expect(t.port).toEqual({ value: 4100, source: "src/http.js:1 (PORT default)" });
  });

  it("reads a config file's port, never a database's", () => {
    const s = only({
      "package.json": express,
      "server.js": "const db = new Pool({ port: 5432 });\napp.listen(config.port);",
      "config/default.json": '{ "db": { "port": 5432 }, "port": 8088 }',
    });
    expect(s.port).toEqual({ value: 8088, source: "config/default.json:1 (config)" });
  });
});

describe("depth and kind", () => {
  it("finds apps two and three folders deep by their own Dockerfile", () => {
    const result = detectIn({
      "README.md": "",
      "stack/payments/Dockerfile": "FROM node\nEXPOSE 4100\n",
      "stack/payments/package.json": pkg({ scripts: { start: "node main.js" } }),
      "go/services/auth/Dockerfile": "FROM golang\n",
      "go/services/auth/go.mod": "module auth\n",
      "go/services/auth/main.go": 'package main\nimport "net/http"\n',
      "docs/example/Dockerfile": "FROM x\n",
    });
    expect(result.services.map((s) => s.path)).toEqual(["go/services/auth", "stack/payments"]);
  });

  it.each([
    [
      { "@tanstack/react-start": "1", vite: "6" },
      "tanstack-start",
      "node .output/server/index.mjs",
    ],
    [{ "@remix-run/node": "2", "@remix-run/serve": "2", vite: "5" }, "remix", undefined],
    [{ nuxt: "3" }, "nuxt", "node .output/server/index.mjs"],
    [{ "@sveltejs/kit": "2", "@sveltejs/adapter-node": "5", vite: "5" }, "sveltekit", "node build"],
    [{ astro: "4", "@astrojs/node": "8" }, "astro", "node dist/server/entry.mjs"],
  ])("%o is a server, not a static SPA", (deps, framework, start) => {
    const s = only({ "package.json": pkg({ scripts: { build: "x" }, dependencies: deps }) });
    expect([s.framework?.value, s.spa, s.role.value]).toEqual([framework, false, "server"]);
    if (start) expect(s.startCommand?.value).toBe(start);
  });

  it("static builds of those frameworks stay static", () => {
    const astro = only({
      "package.json": pkg({ scripts: { build: "astro build" }, dependencies: { astro: "4" } }),
    });
    expect([astro.spa, astro.outputDir?.value]).toEqual([true, "dist"]);
    const next = only({
      "package.json": pkg({ scripts: { build: "next build" }, dependencies: { next: "14" } }),
      "next.config.mjs": "export default { output: 'export' };",
    });
    expect([next.spa, next.outputDir?.value]).toEqual([true, "out"]);
  });

  it("a .NET worker: dotnet, not supported, a service; a console program is a job", () => {
    const worker = only({
      "Worker.csproj": '<Project Sdk="Microsoft.NET.Sdk.Worker"></Project>',
      Dockerfile: "FROM mcr.microsoft.com/dotnet/runtime\n",
    });
    expect([worker.language.value, worker.support?.value, worker.kind.value]).toEqual([
      "dotnet",
      "none",
      "service",
    ]);
    const tool = only({
      "Tool.csproj": '<Project Sdk="Microsoft.NET.Sdk"><OutputType>Exe</OutputType></Project>',
    });
    expect([tool.language.value, tool.kind.value]).toEqual(["dotnet", "job"]);
  });

  it("a one-shot Python job is python, kind job, with no port", () => {
    const s = only({
      "pyproject.toml":
        '[project]\nname = "rollup"\n[project.scripts]\nrollup = "etl.rollup:main"\n',
      "etl/__init__.py": "",
      "etl/rollup.py": 'def main():\n    pass\n\nif __name__ == "__main__":\n    main()\n',
    });
    expect([s.language.value, s.kind.value, s.startCommand?.value, s.port]).toEqual([
      "python",
      "job",
      "python -m etl.rollup",
      undefined,
    ]);
    expect(s.role.value).toBe("service");
  });

  it("a Python script without a manifest but with a Dockerfile is python, not unknown", () => {
    const s = only({
      "job/Dockerfile": "FROM python\n",
      "job/sync.py": 'import sys\nif __name__ == "__main__":\n    sys.exit(0)\n',
    });
    expect([s.language.value, s.kind.value]).toEqual(["python", "job"]);
  });
});

describe("workspace-root facts", () => {
  it("a uv.lock at the root with the service in backend/: uv, built from the root", () => {
    const s = only({
      "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend"]\n',
      "uv.lock": "",
      "backend/pyproject.toml": '[project]\ndependencies = ["fastapi"]\n',
      "backend/app/main.py": "app = FastAPI()\n",
    });
    expect([s.path, s.packageManager?.value, s.context.value]).toEqual(["backend", "uv", "."]);
  });

  it("compose context . with dockerfile backend/Dockerfile: context . and that Dockerfile", () => {
    const s = only({
      "docker-compose.yml":
        "services:\n  api:\n    build:\n      context: .\n      dockerfile: backend/Dockerfile\n",
      "backend/Dockerfile": "FROM python\nCOPY shared/ ./shared/\nCOPY backend/ ./backend/\n",
      "backend/requirements.txt": "flask\n",
      "backend/app.py": "app = Flask(__name__)\n",
      "shared/__init__.py": "",
    });
    expect([s.path, s.context, s.dockerfile?.value]).toEqual([
      "backend",
      { value: ".", source: "docker-compose.yml#services.api.build.context" },
      "backend/Dockerfile",
    ]);
  });

  it("a Dockerfile that copies from the root builds from the root", () => {
    const s = only({
      "backend/Dockerfile": "FROM python\nCOPY backend/requirements.txt .\n",
      "backend/requirements.txt": "flask\n",
      "backend/app.py": "app = Flask(__name__)\n",
    });
    expect(s.context.value).toBe(".");
  });

  it("a Dockerfile copying from outside the repository never moves the context out", () => {
    const s = only({
      "api/Dockerfile": "FROM node\nCOPY ../../etc/passwd .\nCOPY /etc/hosts .\n",
      "api/package.json": express,
    });
    expect(s.context.value).toBe("api");
  });

  it("a stale yarn.lock beside a package-lock.json that matches package.json: npm, warned", () => {
    const result = detectIn({
      "package.json": pkg({
        scripts: { start: "node index.js" },
        dependencies: { express: "^4.21.0", helmet: "^8.0.0" },
      }),
      "yarn.lock": 'express@^4.18.0:\n  version "4.18.2"\n',
      "package-lock.json": pkg({
        packages: { "": { dependencies: { express: "^4.21.0", helmet: "^8.0.0" } } },
      }),
    });
    expect(result.services[0]?.packageManager).toEqual({
      value: "npm",
      source: "package-lock.json",
    });
    expect(result.warnings.join("\n")).toMatch(
      /conflicting lockfiles yarn.lock, package-lock.json; using package-lock.json.*remove the stale yarn.lock/,
    );
  });

  it("a workspace member takes the pnpm version pinned in the root's packageManager", () => {
    const result = detectIn({
      "package.json": pkg({ private: true, packageManager: "pnpm@9.15.4" }),
      "pnpm-workspace.yaml": "packages:\n  - apps/*\n",
      "pnpm-lock.yaml": "",
      "apps/api/package.json": express,
    });
    const s = result.services[0];
    expect([s?.packageManager?.source, s?.packageManagerVersion, s?.context.value]).toEqual([
      "pnpm-lock.yaml",
      { value: "9.15.4", source: "package.json#packageManager" },
      ".",
    ]);
  });

  it("the packageManager field wins over a lockfile of another manager, with a warning", () => {
    const result = detectIn({
      "package.json": pkg({ ...JSON.parse(express), packageManager: "pnpm@9.1.0" }),
      "pnpm-lock.yaml": "",
      "yarn.lock": "",
    });
    expect(result.services[0]?.packageManager?.value).toBe("pnpm");
    expect(result.warnings.join("\n")).toMatch(/yarn.lock beside package.json#packageManager/);
  });
});
