import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PreparedSecrets, prepareBuildSecrets } from "../../src/host/build-secrets.js";
import { resultSchema } from "../../src/report/result-schema.js";
import { answerOnPort } from "./answer-on-port.js";
import { docker, type E2EEnv, e2eEnv, hiltRun, REPO_ROOT, type Run, uniqueName } from "./env.js";

/**
 * Generated Dockerfiles built for real (docker backend), run, and asked on their port; each
 * image's size against the naive single-stage image of the same app ("FROM node, COPY . .,
 * npm install, npm start" on the full, non-slim base image), which must be at least twice it.
 */
const env = e2eEnv();
const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${env?.registry}/library`;

interface App {
  files: Record<string, string>;
  port: number;
  /** The naive Dockerfile's body, after `FROM <full image>`, `WORKDIR /app` and `COPY . .`. */
  naive: { from: string; steps: string[] };
  /** What the answer on "/" must hold. */
  answer: RegExp;
}

const NPM_MOUNTS =
  "--mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem";

const APPS: Record<string, App> = {
  // prisma-style: a devDependency-driven generator writes a client into node_modules at build
  // time, the server is compiled by typescript (a devDependency); both must survive the prune.
  "ts-prune": {
    port: 3000,
    files: {
      "package.json": JSON.stringify({
        name: "ts-prune",
        version: "1.0.0",
        private: true,
        scripts: {
          build: "node scripts/generate-client.mjs && tsc -p .",
          start: "node dist/server.js",
        },
        dependencies: { express: "^4.21.2" },
        devDependencies: {
          typescript: "^5.6.3",
          "@types/express": "^4.17.21",
          "@types/node": "^20.17.0",
        },
      }),
      "schema.txt": "greeting = generated client\n",
      "scripts/generate-client.mjs": [
        'import { mkdirSync, readFileSync, writeFileSync } from "node:fs";',
        'const greeting = readFileSync("schema.txt", "utf8").split("=")[1].trim();',
        'mkdirSync("node_modules/.generated/client", { recursive: true });',
        'writeFileSync("node_modules/.generated/client/index.js", `module.exports = { greeting: ${JSON.stringify(greeting)} };\\n`);',
        "",
      ].join("\n"),
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          outDir: "dist",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
        },
        include: ["src"],
      }),
      "src/server.ts": [
        'import express from "express";',
        'const client = require(".generated/client") as { greeting: string };',
        "const app = express();",
        'app.get("/", (_req, res) => {',
        "  let typescript = true;",
        "  try {",
        '    require.resolve("typescript");',
        "  } catch {",
        "    typescript = false;",
        "  }",
        "  res.json({ greeting: client.greeting, typescript });",
        "});",
        "app.listen(Number(process.env.PORT || 3000));",
        "",
      ].join("\n"),
    },
    naive: {
      from: "node:20-bookworm",
      steps: [`RUN ${NPM_MOUNTS} npm install`, "RUN npm run build", 'CMD ["npm", "start"]'],
    },
    answer: /"greeting":"generated client","typescript":false/,
  },
  // ts-node style: the start runs tsx, a devDependency; .nvmrc asks for Node 18.
  "tsx-start": {
    port: 4000,
    files: {
      "package.json": JSON.stringify({
        name: "tsx-start",
        version: "1.0.0",
        private: true,
        scripts: { start: "tsx src/server.ts" },
        dependencies: { express: "^4.21.2" },
        devDependencies: { tsx: "^4.19.2", "@types/express": "^4.17.21" },
      }),
      ".nvmrc": "18\n",
      "src/server.ts": [
        'import express from "express";',
        "const app = express();",
        'app.get("/", (_req, res) => res.json({ node: process.version }));',
        "app.listen(Number(process.env.PORT || 4000));",
        "",
      ].join("\n"),
    },
    naive: {
      from: "node:20-bookworm",
      steps: [`RUN ${NPM_MOUNTS} npm install`, 'CMD ["npm", "start"]'],
    },
    answer: /"node":"v18\./,
  },
  // gunicorn as the non-root user: it writes ~/.gunicorn; the code must stay read-only to it.
  "gunicorn-flask": {
    port: 5000,
    files: {
      "requirements.txt": "flask==3.1.0\ngunicorn==23.0.0\n",
      ".python-version": "3.11\n",
      "app.py": [
        "import os",
        "from flask import Flask, jsonify",
        "",
        "app = Flask(__name__)",
        "",
        "",
        '@app.route("/")',
        "def index():",
        '    return jsonify(uid=os.getuid(), code_writable=os.access("app.py", os.W_OK),',
        '                   home_writable=os.access(os.path.expanduser("~"), os.W_OK))',
        "",
      ].join("\n"),
    },
    naive: {
      from: "python:3.11-bookworm",
      steps: [
        "RUN --mount=type=secret,id=pipconf,target=/etc/pip.conf --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem PIP_BREAK_SYSTEM_PACKAGES=1 pip install -r requirements.txt",
        'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]',
      ],
    },
    answer: /"code_writable":false,"home_writable":true,"uid":10001/,
  },
  // cgo (mattn/go-sqlite3) with a go.mod from Go 1.15, for which no bookworm builder exists.
  "go-sqlite": {
    port: 8080,
    files: {
      "go.mod":
        "module example.com/notes\n\ngo 1.15\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n",
      "go.sum": [
        "github.com/mattn/go-sqlite3 v1.14.22 h1:2gZY6PC6kBnID23Tichd1K+Z0oS6nE/XwU+Vz/5o4kU=",
        "github.com/mattn/go-sqlite3 v1.14.22/go.mod h1:Uh1q+B4BYcTPb+yiD3kU8Ct7aC0hY9fxUwlHK0RXw+Y=",
        "",
      ].join("\n"),
      "main.go": [
        "package main",
        "",
        "import (",
        '\t"database/sql"',
        '\t"fmt"',
        '\t"log"',
        '\t"net/http"',
        '\t"os"',
        "",
        '\t_ "github.com/mattn/go-sqlite3"',
        ")",
        "",
        "func main() {",
        '\tdb, err := sql.Open("sqlite3", ":memory:")',
        "\tif err != nil {",
        "\t\tlog.Fatal(err)",
        "\t}",
        '\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {',
        "\t\tvar version string",
        '\t\tif err := db.QueryRow("select sqlite_version()").Scan(&version); err != nil {',
        "\t\t\thttp.Error(w, err.Error(), 500)",
        "\t\t\treturn",
        "\t\t}",
        '\t\tfmt.Fprintf(w, "sqlite %s\\n", version)',
        "\t})",
        '\tport := os.Getenv("PORT")',
        '\tif port == "" {',
        '\t\tport = "8080"',
        "\t}",
        '\tlog.Fatal(http.ListenAndServe(":"+port, nil))',
        "}",
        "",
      ].join("\n"),
    },
    naive: {
      from: "golang:1.19-bookworm",
      steps: [
        "ENV SSL_CERT_DIR=/run/secrets",
        // The official golang image carries gcc; the test machine's stand-in may not.
        "RUN command -v gcc || (apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*)",
        // The generated build's cache mounts: the sqlite3 C code is compiled once for both.
        "RUN --mount=type=secret,id=goenv,target=/root/.config/go/env --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build go build -mod=mod -trimpath -o /usr/local/bin/notes .",
        'CMD ["notes"]',
      ],
    },
    answer: /^sqlite 3\.\d+/,
  },
};

function writeApp(root: string, name: string, app: App): string {
  const dir = path.join(root, name);
  for (const [file, content] of Object.entries(app.files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

function imageBytes(ref: string): number {
  const inspect = docker(["image", "inspect", "-f", "{{.Size}}", ref]);
  expect(inspect.status, inspect.stderr).toBe(0);
  return Number(inspect.stdout.trim());
}

describe.skipIf(!env)("generated images: built, run, answering, and small", () => {
  const e = env as E2EEnv;
  const push = `${e?.registry}/${uniqueName("generated")}`;
  let root: string;
  let run: Run;
  let secrets: PreparedSecrets;
  const sizes: Record<string, { generated: number; naive: number }> = {};

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "hilt-generated-"));
    for (const [name, app] of Object.entries(APPS)) writeApp(root, name, app);
    run = hiltRun(
      [
        "build",
        ...Object.keys(APPS).map((name) => path.join(root, name)),
        "--json",
        "--push",
        push,
        "--concurrency",
        "2",
        // Builders and runtimes the test machine has: the tags generated Dockerfiles name map
        // onto them (golang:1.24 is what go.mod's "go 1.15" maps to).
        "--base-image",
        `golang:1.24-bookworm=${prefix}/golang:1.19-bookworm`,
        ...["node", "python", "debian", "busybox"].flatMap((n) => [
          "--base-image",
          `${n}=${prefix}/${n}`,
        ]),
      ],
      REPO_ROOT,
    );
    secrets = await prepareBuildSecrets({});
    // A cold run compiles sqlite3's C code and installs four apps on a shared 2-core machine.
  }, 1_800_000);

  afterAll(async () => {
    await secrets?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
    for (const name of Object.keys(APPS)) docker(["rmi", "-f", `hilt-naive-${name}`]);
  });

  it("builds every app from a generated Dockerfile", () => {
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    const result = resultSchema.parse(run.json);
    expect(result.images.map((i) => i.name).sort()).toEqual(Object.keys(APPS).sort());
    expect(result.images.every((i) => i.status === "built" || i.status === "cached")).toBe(true);
  });

  it.each(Object.keys(APPS))("%s answers on its port, as the app user", async (name) => {
    const app = APPS[name] as App;
    const image = resultSchema.parse(run.json).images.find((i) => i.name === name);
    const ref = image?.refs[0] ?? "";
    expect(docker(["pull", "-q", ref]).status).toBe(0);
    const got = await answerOnPort(ref, app.port);
    expect(got.status, got.body).toBe(200);
    expect(got.body).toMatch(app.answer);
    const user = docker(["image", "inspect", "-f", "{{.Config.User}}", ref]).stdout.trim();
    expect(user).toBe("app");
  });

  it.each(Object.keys(APPS))("%s is at most half its naive single-stage image", (name) => {
    const app = APPS[name] as App;
    const image = resultSchema.parse(run.json).images.find((i) => i.name === name);
    const ref = image?.refs[0] ?? "";
    const dir = path.join(root, `naive-${name}`);
    writeApp(root, `naive-${name}`, app);
    writeFileSync(
      path.join(dir, "Dockerfile"),
      [`FROM ${prefix}/${app.naive.from}`, "WORKDIR /app", "COPY . .", ...app.naive.steps, ""].join(
        "\n",
      ),
    );
    const tag = `hilt-naive-${name}`;
    const s = secrets.secrets;
    const built = docker([
      "buildx",
      "build",
      "--builder",
      "default",
      "--load",
      "-t",
      tag,
      ...(
        [
          ["npmrc", s.npmrc],
          ["pipconf", s.pipconf],
          ["goenv", s.goenv],
          ["ca", s.ca],
        ] as const
      ).flatMap(([id, file]) => (file ? ["--secret", `id=${id},src=${file}`] : [])),
      dir,
    ]);
    expect(built.status, built.stderr.slice(-2000)).toBe(0);
    if (docker(["image", "inspect", ref]).status !== 0) docker(["pull", "-q", ref]);
    sizes[name] = { generated: imageBytes(ref), naive: imageBytes(tag) };
    const { generated, naive } = sizes[name];
    console.log(
      `${name}: generated ${(generated / 1e6).toFixed(0)} MB, naive ${(naive / 1e6).toFixed(0)} MB, ratio ${(generated / naive).toFixed(2)}`,
    );
    expect(generated / naive).toBeLessThanOrEqual(0.5);
  });
});
