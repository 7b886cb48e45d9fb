// Hostile version files, go.mod and workspace manifests handed to `hilt generate`: what the
// generator reads to choose base images, cgo, toolchains and install steps must never put the
// repository's text into a Dockerfile line. Each case runs the real CLI and checks the exit
// code, that stdout is one JSON document, that nothing was written, and that no marker leaks.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hilt, tempRepo } from "../helpers/cli.js";

const MARK = "pwn3d-by-repo";

/** Every file under `dir` with its contents: the whole world generate may not change. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = path.join(rel, name);
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else out.push(`${child}:${readFileSync(path.join(dir, child), "utf8")}`);
    }
  };
  walk(".");
  return out.sort();
}

interface Generated {
  files: { path: string; content: string }[];
  skipped: string[];
}

function generate(files: Record<string, string>): Generated {
  const repo = tempRepo(files);
  const before = tree(repo);
  const result = hilt(["generate", repo, "--stdout", "--json"]);
  expect(result.status, result.stderr).toBe(0);
  const doc = JSON.parse(result.stdout) as Generated;
  expect(tree(repo)).toEqual(before);
  expect(result.stderr).not.toContain(MARK);
  return doc;
}

/** Dockerfile lines that are instructions (continuations joined), comments dropped. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"));
}

function expectClean(doc: Generated): string {
  const dockerfile = doc.files.find((f) => f.path.endsWith("Dockerfile"))?.content ?? "";
  expect(dockerfile).not.toBe("");
  expect(dockerfile).not.toContain(MARK);
  for (const line of instructions(dockerfile))
    expect(line).toMatch(/^(FROM|RUN|CMD|EXPOSE|ENV|COPY|ENTRYPOINT|USER|WORKDIR|ARG) /);
  return dockerfile;
}

describe("hostile runtime versions, go.mod and manifests", () => {
  it("a version file with shell text and a second line picks a version, nothing more", () => {
    const text = expectClean(
      generate({
        "package.json": JSON.stringify({
          name: "a",
          scripts: { start: "node index.js" },
          engines: { node: `>=18 $(${MARK})` },
        }),
        "index.js": "",
        ".nvmrc": `22\nRUN echo ${MARK}\n`,
      }),
    );
    expect(text).toContain("ARG NODE_IMAGE=node:22-bookworm-slim");
  });

  it("Python pins with injected text fall back to a version, never to their text", () => {
    const text = expectClean(
      generate({
        "requirements.txt": "flask\n",
        "app.py": "app = Flask(__name__)\n",
        "runtime.txt": `python-3.11; echo ${MARK}`,
        "pyproject.toml": `[project]\nrequires-python = ">=3.9\\"\nRUN ${MARK}"\n`,
      }),
    );
    expect(text).toContain("ARG PYTHON_IMAGE=python:3.11-slim-bookworm");
  });

  it("a go.mod with a hostile toolchain line and module paths renders none of them", () => {
    const text = expectClean(
      generate({
        "go.mod": `module m\n\ngo 1.22\ntoolchain go1.99.0;${MARK}\n\nrequire (\n\tgithub.com/mattn/go-sqlite3 v1.0.0 // $(${MARK})\n)\n`,
        "main.go":
          'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":8080", nil) }\n',
      }),
    );
    expect(text).toContain("ENV GOTOOLCHAIN=auto");
    expect(text).toContain("ENV CGO_ENABLED=1");
  });

  it("a uv workspace member whose project name is shell text installs without --package", () => {
    const doc = generate({
      "pyproject.toml": '[project]\nname = "ws"\n[tool.uv.workspace]\nmembers = ["api"]\n',
      "uv.lock": "version = 1\n",
      "api/pyproject.toml": `[project]\nname = "api;${MARK}"\ndependencies = ["fastapi"]\n`,
      "api/main.py": "app = FastAPI()\n",
    });
    const text = expectClean(doc);
    expect(text).toContain("uv sync --frozen --no-dev --no-install-workspace\n");
  });

  it("a start script naming a devDependency with shell text keeps it out of every instruction", () => {
    const name = `x$(${MARK})`;
    const doc = generate({
      "package.json": JSON.stringify({
        name: "a",
        scripts: { start: `${name} server.ts` },
        dependencies: { express: "^4" },
        devDependencies: { [name]: "1" },
      }),
      "server.ts": "app.listen(3000)",
    });
    expectClean(doc);
  });
});
