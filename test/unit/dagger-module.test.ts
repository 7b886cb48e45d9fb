import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { Hilt } from "../../src/dagger/module.js";

// CLI options that only make sense for a terminal or a local process, or are the module's
// own way of passing the same thing (source directory instead of --catalog and cwd).
const CLI_ONLY = new Set([
  "cache",
  // A buildx builder of the docker backend; the module always builds on its own Dagger engine.
  "builder",
  // The module runs inside Dagger, where registries are reached or not; bases unpinned warn.
  "offline",
  "json",
  "events",
  "dryRun",
  "timeout",
  "atomic",
  "engine",
  "catalog",
  "output",
  "wave",
  "force",
  "stdout",
  "baseImage",
  "npmRegistry",
  "caCert",
  "ttl",
  "help",
]);
// mcp serves stdio, serve is a long-running host service with its own queue, and summarize reads
// a local result file: none of them means anything as a module function.
const NOT_IN_MODULE = new Set(["mcp", "serve", "export", "summarize"]);

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function parameters(fn: (...args: never[]) => unknown): string[] {
  const source = fn.toString();
  const inner = source.slice(source.indexOf("(") + 1, source.indexOf(")"));
  return inner
    .split(",")
    .map((p) =>
      p
        .replace(/@\w+\([^)]*\)/g, "")
        .replace(/[=:].*$/s, "")
        .replace(/\?/g, "")
        .trim(),
    )
    .filter((p) => p !== "");
}

function commands(program: Command): { name: string; command: Command }[] {
  return program.commands.flatMap((c) =>
    c.commands.length > 0
      ? c.commands.map((sub) => ({ name: camel(`${c.name()}-${sub.name()}`), command: sub }))
      : [{ name: camel(c.name()), command: c }],
  );
}

describe("the Dagger module mirrors the CLI", () => {
  const program = buildProgram(() => {});
  const module = Hilt.prototype as unknown as Record<string, (...args: never[]) => unknown>;

  it.each(commands(program).filter((c) => !NOT_IN_MODULE.has(c.name)))(
    "$name has a module function with the same arguments",
    ({ name, command }) => {
      const fn = module[name];
      expect(fn, `Hilt.${name} is missing`).toBeTypeOf("function");
      const params = new Set(parameters(fn as never));
      const expected = [
        ...command.registeredArguments.map((a) => camel(a.name())),
        ...command.options.map((o) => o.attributeName()).filter((o) => !CLI_ONLY.has(o)),
      ].map((n) => (n === "targets" || n === "path" ? n : n));
      for (const arg of expected)
        expect(
          params.has(arg) || (arg === "path" && params.has("path")),
          `Hilt.${name} lacks "${arg}" (has ${[...params].join(", ")})`,
        ).toBe(true);
      expect(params.has("source")).toBe(true);
    },
  );

  it("pins the engine version to the SDK in package.json", () => {
    const dagger = JSON.parse(readFileSync(new URL("../../dagger.json", import.meta.url), "utf8"));
    const pkg = JSON.parse(
      readFileSync(
        new URL("../../node_modules/@dagger.io/dagger/package.json", import.meta.url),
        "utf8",
      ),
    );
    expect(dagger.engineVersion).toBe(`v${pkg.version}`);
    expect(dagger.sdk.source).toBe("typescript");
  });

  it("documents every function (dagger call --help shows it)", () => {
    const source = readFileSync(new URL("../../src/dagger/module.ts", import.meta.url), "utf8");
    const documented = [...source.matchAll(/\*\/\n\s+@func\(\)\n\s+async (\w+)/g)].map((m) => m[1]);
    const functions = [...source.matchAll(/@func\(\)\n\s+async (\w+)/g)].map((m) => m[1]);
    expect(documented).toEqual(functions);
  });
});
