import { describe, expect, it } from "vitest";
import { memoryRepo } from "../../src/detect/repo-view.js";
import {
  goRuntime,
  legacyOpenssl,
  nodeRangeAllows,
  nodeRuntime,
  pythonRuntime,
  pythonSpecAllows,
} from "../../src/detect/runtime-version.js";

const pkg = (fields: object) => JSON.stringify({ name: "x", ...fields });

describe("Node version", () => {
  it.each([
    [">=18", 20, true],
    ["^16.14.0", 18, false],
    ["18.x", 18, true],
    ["18.x", 20, false],
    ["16 - 18", 18, true],
    [">=14 <19", 20, false],
    ["^14 || ^16 || >=18", 22, true],
    ["~20.1", 20, true],
    ["<20", 20, false],
    ["<=20", 20, true],
    [">20", 20, false],
    [">20.1", 20, true],
    ["*", 24, true],
  ])("engines %s allows %i: %s", (range, major, allowed) => {
    expect(nodeRangeAllows(range, major)).toBe(allowed);
  });

  it("does not claim to understand what is not a range", () => {
    expect(nodeRangeAllows("latest-lts", 20)).toBeUndefined();
  });

  it.each([
    [{ "package.json": pkg({ engines: { node: ">=18" } }) }, "20", "package.json#engines.node"],
    [{ "package.json": pkg({ engines: { node: "22.x" } }) }, "22", "package.json#engines.node"],
    [{ "package.json": pkg({ engines: { node: "<20" } }) }, "18", "package.json#engines.node"],
    [{ "package.json": pkg({}), ".nvmrc": "v18.17.1\n" }, "18", ".nvmrc"],
    [{ "package.json": pkg({}), ".node-version": "22" }, "22", ".node-version"],
    [{ "package.json": pkg({}), ".nvmrc": "lts/jod" }, "22", ".nvmrc"],
    [{ "package.json": pkg({}), ".nvmrc": "node" }, "20", "default"],
    [{ "package.json": pkg({}) }, "20", "default"],
  ])("%j → Node %s from %s", (files, version, source) => {
    expect(nodeRuntime(memoryRepo(files), ".")).toMatchObject({ version, source });
  });

  it("finds a version file above a workspace member, and says when it cannot honour it", () => {
    const view = memoryRepo({ ".nvmrc": "16.20.0", "apps/api/package.json": pkg({}) });
    expect(nodeRuntime(view, "apps/api")).toEqual({
      version: "18",
      source: ".nvmrc",
      note: "Node 16 has no bookworm image: Node 18",
    });
  });

  it("prefers engines when a version file pins a major engines refuses", () => {
    const view = memoryRepo({ "package.json": pkg({ engines: { node: ">=22" } }), ".nvmrc": "18" });
    expect(nodeRuntime(view, ".")).toMatchObject({ version: "22" });
  });

  it("needs the OpenSSL legacy provider for webpack 4 / react-scripts < 5 on Node >= 17", () => {
    const cra4 = memoryRepo({
      "package.json": pkg({ dependencies: { "react-scripts": "4.0.3" } }),
    });
    expect(legacyOpenssl(cra4, ".", 20)).toBe("react-scripts 4.0.3");
    expect(legacyOpenssl(cra4, ".", 16)).toBeUndefined();
    const wp4 = memoryRepo({ "package.json": pkg({ devDependencies: { webpack: "^4.46.0" } }) });
    expect(legacyOpenssl(wp4, ".", 18)).toBe("webpack ^4.46.0");
    const cra5 = memoryRepo({
      "package.json": pkg({ dependencies: { "react-scripts": "^5.0.1" } }),
    });
    expect(legacyOpenssl(cra5, ".", 20)).toBeUndefined();
  });
});

describe("Python version", () => {
  it.each([
    [">=3.10", 12, true],
    [">=3.8,<3.11", 12, false],
    [">=3.8,<3.11", 10, true],
    ["~=3.9", 13, true],
    ["~=3.9.1", 10, false],
    ["==3.11.*", 11, true],
    ["^3.10", 13, true],
    ["~3.10", 11, false],
    ["!=3.12.*", 12, false],
  ])("%s allows 3.%i: %s", (spec, minor, allowed) => {
    expect(pythonSpecAllows(spec, minor)).toBe(allowed);
  });

  it.each([
    [{ ".python-version": "3.11.4\n" }, "3.11", ".python-version"],
    [{ "runtime.txt": "python-3.10.12" }, "3.10", "runtime.txt"],
    [{ Pipfile: '[requires]\npython_version = "3.9"\n' }, "3.9", "Pipfile#requires.python_version"],
    [
      { "pyproject.toml": '[project]\nrequires-python = ">=3.8,<3.12"\n' },
      "3.11",
      "pyproject.toml#requires-python",
    ],
    [
      { "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.13"\n' },
      "3.13",
      "pyproject.toml#tool.poetry.dependencies.python",
    ],
    [
      { "pyproject.toml": '[project]\nrequires-python = ">=3.9"\n' },
      "3.12",
      "pyproject.toml#requires-python",
    ],
    [{ ".python-version": "pypy3.10" }, "3.12", "default"],
    [{}, "3.12", "default"],
  ])("%j → Python %s from %s", (files, version, source) => {
    expect(pythonRuntime(memoryRepo(files), ".")).toMatchObject({ version, source });
  });

  it("maps a Python without a bookworm image to the nearest one, saying so", () => {
    expect(pythonRuntime(memoryRepo({ "runtime.txt": "python-3.7.9" }), ".")).toEqual({
      version: "3.9",
      source: "runtime.txt",
      note: "Python 3.7 has no bookworm image: 3.9",
    });
  });
});

describe("Go builder", () => {
  it.each([
    ["go 1.21\n", "1.21", false],
    ["go 1.19\n", "1.19", false],
    // golang:1.15-bookworm never existed: a current Go builds the module.
    ["go 1.15\n", "1.24", false],
    // Newer than the newest builder: the go command fetches the toolchain go.mod asks for.
    ["go 1.27.1\n", "1.24", true],
    ["go 1.22\ntoolchain go1.28.0\n", "1.24", true],
    ["go 1.22\ntoolchain go1.22.5\n", "1.22", false],
    ["module m\n", "1.24", false],
  ])("%j builds on golang:%s-bookworm (toolchain switch: %s)", (goMod, version, toolchain) => {
    const choice = goRuntime(goMod, "go.mod");
    expect(choice.version).toBe(version);
    expect(choice.toolchainSwitch).toBe(toolchain);
  });

  it("marks a go.mod older than Go 1.17 as not listing its indirect requirements", () => {
    expect(goRuntime("go 1.16\n", "go.mod").legacyModule).toBe(true);
    expect(goRuntime("go 1.17\n", "go.mod").legacyModule).toBe(false);
  });
});
