import { describe, expect, it } from "vitest";
import { memoryRepo } from "../../src/detect/repo-view.js";
import type { Service } from "../../src/detect/types.js";
import { generateFiles } from "../../src/generate/generate.js";
import { goDockerfile } from "../../src/generate/go.js";
import { devToolAtStart } from "../../src/generate/node.js";

/** The Dockerfile generated for `service` ("." for the root) of an in-memory repository. */
function dockerfile(files: Record<string, string>, service = "."): string {
  const path = service === "." ? "Dockerfile" : `${service}/Dockerfile`;
  const found = generateFiles(memoryRepo(files), "repo").files.find((f) => f.path === path);
  if (!found) throw new Error(`no ${path}`);
  return found.content;
}

const pkg = (fields: object) => JSON.stringify({ name: "app", version: "1.0.0", ...fields });
/** The runtime stage: what ends up in the image. */
const runtime = (text: string) => text.slice(text.indexOf("AS runtime"));

describe("Node: build with every dependency, prune after", () => {
  const prisma = {
    "package.json": pkg({
      scripts: {
        build: "prisma generate && tsc",
        start: "node dist/index.js",
        postinstall: "prisma generate",
      },
      dependencies: { "@prisma/client": "^5", express: "^4" },
      devDependencies: { prisma: "^5", typescript: "^5" },
    }),
    "package-lock.json": "{}",
    "src/index.ts": "app.listen(3000)",
  };

  it("installs dev dependencies for the build, then prunes them before the runtime copy", () => {
    const text = dockerfile(prisma);
    const install = text.indexOf("npm ci --no-fund --no-audit --ignore-scripts");
    const build = text.indexOf("RUN npm run build");
    const prune = text.indexOf("npm prune --no-fund --no-audit --omit=dev");
    expect(install).toBeGreaterThan(0);
    expect(install).toBeLessThan(build);
    expect(build).toBeLessThan(prune);
    expect(prune).toBeLessThan(text.indexOf("AS runtime"));
    expect(text).not.toContain("--omit=dev --ignore-scripts");
    // Scripts of dependencies stay off; the repository's own postinstall runs, after its sources.
    expect(text.indexOf("RUN npm run postinstall")).toBeGreaterThan(text.indexOf("COPY . ."));
    expect(runtime(text)).toContain("COPY --from=build /app ./");
  });

  it.each([
    ["tsx src/server.ts", { tsx: "^4" }, "tsx"],
    ["ts-node src/server.ts", { "ts-node": "^10" }, "ts-node"],
    ["node --import tsx src/server.ts", { tsx: "^4" }, "tsx"],
    ["node -r ts-node/register src/server.ts", { "ts-node": "^10" }, "ts-node"],
    ["nest start", { "@nestjs/cli": "^10" }, "@nestjs/cli"],
    ["node dist/server.js", { typescript: "^5" }, undefined],
  ])("start %j needs devDependency %s", (start, devDependencies, needed) => {
    expect(devToolAtStart({ scripts: { start }, devDependencies }, "npm start")).toBe(needed);
    expect(devToolAtStart({ devDependencies }, start)).toBe(needed);
  });

  it("keeps dev dependencies when the start runs tsx from them, and says why", () => {
    const text = dockerfile({
      "package.json": pkg({
        scripts: { start: "tsx src/server.ts" },
        dependencies: { express: "^4" },
        devDependencies: { tsx: "^4" },
      }),
      "src/server.ts": "app.listen(3000)",
    });
    expect(text).toContain("npm install --no-fund --no-audit --ignore-scripts");
    expect(text).toContain(
      "# The start runs tsx, a devDependency: dev dependencies stay installed.",
    );
    expect(text).not.toContain("prune");
  });

  it("installs production dependencies only when nothing is built and nothing dev is started", () => {
    const text = dockerfile({
      "package.json": pkg({ scripts: { start: "node index.js" }, dependencies: { express: "^4" } }),
      "index.js": "app.listen(3000)",
    });
    expect(text).toContain("npm install --no-fund --no-audit --omit=dev --ignore-scripts");
    expect(text).not.toContain("prune");
  });

  it("copies no node_modules on its own: a package without dependencies builds too", () => {
    const text = dockerfile({
      "package.json": pkg({ scripts: { start: "node index.js" } }),
      "index.js": "require('http').createServer().listen(3000)",
    });
    expect(text).not.toMatch(/COPY[^\n]*node_modules/);
  });

  it("drops next build's cache from the image and gives Next a writable cache folder", () => {
    const text = dockerfile({
      "package.json": pkg({
        scripts: { build: "next build", start: "next start" },
        dependencies: { next: "^14", react: "^18" },
      }),
      "package-lock.json": "{}",
    });
    expect(text.indexOf("RUN rm -rf .next/cache")).toBeLessThan(text.indexOf("AS runtime"));
    expect(runtime(text)).toContain("RUN install -d -o app -g app /app/.next/cache");
  });

  it("uses the prune of each package manager", () => {
    const withLock = (lock: string, extra: Record<string, string> = {}) =>
      dockerfile({
        "package.json": pkg({ scripts: { build: "tsc", start: "node dist/i.js" } }),
        [lock]: "",
        ...extra,
      });
    expect(withLock("pnpm-lock.yaml")).toMatch(
      /pnpm install --frozen-lockfile --prod --ignore-scripts\n/,
    );
    expect(withLock("yarn.lock")).toMatch(
      /yarn install --frozen-lockfile --production --ignore-scripts\n/,
    );
    expect(withLock("yarn.lock", { ".yarnrc.yml": "" })).toContain(
      "YARN_ENABLE_SCRIPTS=false yarn workspaces focus --all --production",
    );
  });
});

describe("Node: monorepos copy manifests and the lockfile before the sources", () => {
  const repo = {
    "package.json": pkg({ private: true, workspaces: ["apps/*", "packages/*"] }),
    "package-lock.json": "{}",
    "apps/api/package.json": pkg({
      name: "api",
      scripts: { build: "tsc", start: "node dist/index.js" },
      dependencies: { express: "^4", "@acme/lib": "*" },
    }),
    "apps/api/src/index.ts": "app.listen(3000)",
    "packages/lib/package.json": pkg({ name: "@acme/lib", main: "index.js" }),
    "packages/lib/index.js": "",
  };

  it("installs from the manifests, then copies the sources, builds in the member, prunes", () => {
    const text = dockerfile(repo, "apps/api");
    const order = [
      "COPY package.json package-lock.json ./",
      "COPY apps/api/package.json ./apps/api/",
      "COPY packages/lib/package.json ./packages/lib/",
      "npm ci --no-fund --no-audit --ignore-scripts",
      "COPY . .",
      '"cd -- \\"$0\\" && npm run build", "apps/api"]',
      "npm prune --no-fund --no-audit --omit=dev",
      "AS runtime",
      "WORKDIR /app/apps/api",
    ].map((s) => text.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text.match(/^COPY \. \.$/gm)).toHaveLength(1);
  });

  it("copies pnpm's workspace file and the whole workspace when a member's name cannot be copied", () => {
    const pnpm = dockerfile(
      {
        ...repo,
        "pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n",
        "pnpm-lock.yaml": "",
        "package-lock.json": undefined as unknown as string,
      },
      "apps/api",
    );
    expect(pnpm).toContain("COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./");
    const odd = dockerfile({ ...repo, "packages/we ird/package.json": pkg({}) }, "apps/api");
    expect(odd).toContain("# Too many, or oddly named, workspace manifests to copy one by one.");
  });
});

describe("runtime versions choose the base image", () => {
  it.each([
    [{ ".nvmrc": "18.19.0" }, "node:18-bookworm-slim", "# Node 18, as .nvmrc asks."],
    [{ ".node-version": "22" }, "node:22-bookworm-slim", "# Node 22, as .node-version asks."],
    [{}, "node:20-bookworm-slim", undefined],
  ])("%j → %s", (extra, image, comment) => {
    const text = dockerfile({
      "package.json": pkg({ scripts: { start: "node index.js" } }),
      "index.js": "",
      ...extra,
    });
    expect(text).toContain(`ARG NODE_IMAGE=${image}`);
    if (comment) expect(text).toContain(comment);
  });

  it("turns on OpenSSL's legacy provider for CRA 4 on Node >= 17", () => {
    const text = dockerfile({
      "package.json": pkg({
        scripts: { build: "react-scripts build", start: "react-scripts start" },
        dependencies: { "react-scripts": "4.0.3", react: "^17" },
      }),
      "public/index.html": "",
    });
    expect(text).toContain("ENV NODE_OPTIONS=--openssl-legacy-provider");
    expect(text.indexOf("ENV NODE_OPTIONS")).toBeLessThan(text.indexOf("RUN npm run build"));
  });

  it.each([
    [{ "runtime.txt": "python-3.10.13" }, "python:3.10-slim-bookworm"],
    [{ Pipfile: '[requires]\npython_version = "3.9"\n' }, "python:3.9-slim-bookworm"],
    [
      { "pyproject.toml": '[project]\nname="x"\nrequires-python = ">=3.8,<3.12"\n' },
      "python:3.11-slim-bookworm",
    ],
  ])("%j → %s", (extra, image) => {
    const text = dockerfile({
      "requirements.txt": "flask\n",
      "app.py": "app = Flask(__name__)",
      ...extra,
    });
    expect(text).toContain(`ARG PYTHON_IMAGE=${image}`);
  });
});

describe("non-root runtime", () => {
  it("gives the app user a writable home, and the workdir new files only (sticky), code root's", () => {
    const text = dockerfile({
      "requirements.txt": "flask\ngunicorn\n",
      "app.py": "app = Flask(__name__)",
    });
    const stage = runtime(text);
    expect(stage).toContain("--create-home --home-dir /home/app");
    expect(stage).toContain("COPY . .");
    expect(stage).not.toContain("--chown=app");
    expect(stage).toContain("RUN chown root:app /app && chmod 1775 /app");
    expect(stage.indexOf("chmod 1775")).toBeLessThan(stage.indexOf("USER app"));
  });
});

describe("Go", () => {
  const goMain =
    'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":8080", nil) }\n';

  it("builds with cgo on glibc when go-sqlite3 is required, with a C compiler", () => {
    const text = dockerfile({
      "go.mod": "module m\n\ngo 1.22\n\nrequire (\n\tgithub.com/mattn/go-sqlite3 v1.14.22\n)\n",
      "go.sum": "",
      "main.go": goMain,
    });
    expect(text).toContain("ENV CGO_ENABLED=1");
    expect(text).not.toContain("CGO_ENABLED=0");
    expect(text).toContain("# github.com/mattn/go-sqlite3 needs cgo");
    expect(text).toContain("apt-get install -y --no-install-recommends gcc libc6-dev");
    expect(text).toContain("ARG RUNTIME_IMAGE=debian:bookworm-slim");
  });

  it("reads go.sum for cgo modules when go.mod predates Go 1.17, and lets the build fix go.sum", () => {
    const text = dockerfile({
      "go.mod": "module m\n\ngo 1.15\n\nrequire github.com/jmoiron/sqlx v1.3.5\n",
      "go.sum": "github.com/mattn/go-sqlite3 v1.14.6 h1:x=\n",
      "main.go": goMain,
    });
    expect(text).toContain("ENV CGO_ENABLED=1");
    expect(text).toContain("ARG GO_IMAGE=golang:1.24-bookworm");
    expect(text).toContain("no golang:1.15-bookworm image");
    expect(text).toContain('"go", "build", "-mod=mod"');
  });

  it("stays static without cgo modules, and switches toolchain for a newer go line", () => {
    const text = dockerfile({ "go.mod": "module m\n\ngo 1.26.1\n", "main.go": goMain });
    expect(text).toContain("ENV CGO_ENABLED=0");
    expect(text).toContain("ENV GOTOOLCHAIN=auto");
    expect(text).toContain("ARG GO_IMAGE=golang:1.24-bookworm");
  });

  it("gives go its registry settings and the CA as secret mounts on every step that fetches", () => {
    const text = dockerfile({ "go.mod": "module m\n\ngo 1.22\n", "main.go": goMain });
    const fetching = text.split("\nRUN ").filter((s) => /go mod download|"go", "build"/.test(s));
    expect(fetching).toHaveLength(2);
    for (const step of fetching) {
      expect(step).toContain("--mount=type=secret,id=goenv,target=/root/.config/go/env");
      expect(step).toContain("--mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem");
    }
    expect(text).toContain("SSL_CERT_DIR=/run/secrets");
    expect(text).not.toMatch(/GOPROXY=/);
  });
});

describe("Python installers", () => {
  it("builds a uv workspace member from the root lockfile, installers kept out of the runtime venv", () => {
    const text = dockerfile(
      {
        "pyproject.toml":
          '[project]\nname = "board"\n\n[tool.uv.workspace]\nmembers = ["backend"]\n',
        "uv.lock": "version = 1\n",
        "backend/pyproject.toml": '[project]\nname = "board-api"\ndependencies = ["fastapi"]\n',
        "backend/app/main.py": "app = FastAPI()\n",
      },
      "backend",
    );
    const order = [
      "COPY pyproject.toml uv.lock ./",
      "COPY backend/pyproject.toml ./backend/",
      "uv sync --frozen --no-dev --no-install-workspace --package board-api",
      "AS runtime",
      "COPY . .",
      "WORKDIR /app/backend",
    ].map((s) => text.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain("/opt/tools/bin/pip install uv");
    // uv reads neither pip.conf nor the system store: the mounted CA reaches it by SSL_CERT_FILE.
    expect(text).toContain("export SSL_CERT_FILE=/run/secrets/hilt-ca.pem");
  });
});

describe("Go start arguments", () => {
  const service = (start: string): Service => ({
    name: "svc",
    path: ".",
    role: { value: "service", source: "test" },
    kind: { value: "service", source: "test" },
    language: { value: "go", source: "go.mod" },
    spa: false,
    context: { value: ".", source: "test" },
    startCommand: { value: start, source: "main.go" },
  });
  const render = (start: string) =>
    goDockerfile({
      service: service(start),
      files: new Set(["go.mod"]),
      command: "hilt generate",
      goMod: "module m\n\ngo 1.22\n",
      goSum: "",
      mainPackage: "./cmd/serverd",
    });

  it("passes a subcommand the server needs as CMD, in exec form", () => {
    const text = render("/app/app serve --addr=:8080");
    expect(text).toContain('ENTRYPOINT ["/app/app"]\nCMD ["serve", "--addr=:8080"]\n');
    expect(render("/app/app")).not.toMatch(/^CMD/m);
  });

  it("refuses an argument a Dockerfile line could not hold", () => {
    expect(() => render("/app/app serve\u0000x")).toThrow(/control characters/);
  });
});

describe("a start through the package manager", () => {
  it("brings pnpm into the runtime stage when the start runs it", () => {
    const text = dockerfile({
      "package.json": pkg({
        scripts: { start: "next start", build: "next build" },
        dependencies: { next: "^14" },
      }),
      "pnpm-lock.yaml": "",
    });
    expect(text).toContain('CMD ["/bin/sh", "-c", "exec pnpm start"]');
    expect(runtime(text)).toContain(
      "COPY --from=build /usr/local/lib/node_modules/pnpm /usr/local/lib/node_modules/pnpm",
    );
  });
});
