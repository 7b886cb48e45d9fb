import path from "node:path";
import { CONFIG_FILES, portInCommand, portInConfig, portInSource } from "./ports.js";
import type { RepoView } from "./repo-view.js";
import { joinPath } from "./repo-view.js";
import { type Analysis, type Fact, fact, type PackageManager } from "./types.js";

export interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  /** Fields a package published for others to import has (exports, module, types, files). */
  publishes?: boolean;
  /** Declares command-line tools (`bin`). */
  bin?: boolean;
  engines?: Record<string, string>;
  packageManager?: string;
  /** Workspace globs, from either `workspaces` or `workspaces.packages`. */
  workspaces?: string[];
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === "string") out[key] = item;
  return out;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;

/**
 * package.json from an untrusted repository, kept to the fields detection uses and to their
 * documented types: a field of the wrong type is dropped rather than trusted.
 */
export function parsePackageJson(source: string | undefined): PackageJson | undefined {
  if (source === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const pkg: PackageJson = {};
  const name = text(raw.name);
  const main = text(raw.main);
  const packageManager = text(raw.packageManager);
  if (name !== undefined) pkg.name = name;
  if (main !== undefined) pkg.main = main;
  if (packageManager !== undefined) pkg.packageManager = packageManager;
  if (["exports", "module", "types", "typings", "files"].some((k) => raw[k] !== undefined))
    pkg.publishes = true;
  if (raw.bin !== undefined && raw.bin !== null) pkg.bin = true;
  for (const key of [
    "scripts",
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "engines",
  ] as const) {
    const record = stringRecord(raw[key]);
    if (record) pkg[key] = record;
  }
  const workspaces =
    strings(raw.workspaces) ??
    (raw.workspaces !== null && typeof raw.workspaces === "object"
      ? strings((raw.workspaces as Record<string, unknown>).packages)
      : undefined);
  if (workspaces) pkg.workspaces = workspaces;
  return pkg;
}

const LOCKFILES: { file: string; manager: PackageManager; needs?: string }[] = [
  { file: "pnpm-lock.yaml", manager: "pnpm" },
  { file: "bun.lockb", manager: "bun" },
  { file: "bun.lock", manager: "bun" },
  { file: "yarn.lock", manager: "yarn-berry", needs: ".yarnrc.yml" },
  { file: "yarn.lock", manager: "yarn" },
  { file: "package-lock.json", manager: "npm" },
  { file: "npm-shrinkwrap.json", manager: "npm" },
];

/** The folder and its ancestors up to the root: workspace lockfiles live at the top. */
export function upwards(dir: string): string[] {
  const out = [dir];
  for (let d = dir; d !== "."; ) {
    const slash = d.lastIndexOf("/");
    d = slash < 0 ? "." : d.slice(0, slash);
    out.push(d);
  }
  return out;
}

function managerFromField(field: string): PackageManager | undefined {
  const [name, version = ""] = field.split("@");
  if (name === "yarn") return Number.parseInt(version, 10) >= 2 ? "yarn-berry" : "yarn";
  if (name === "pnpm" || name === "npm" || name === "bun") return name;
  return undefined;
}

/** Dependencies of package.json with their ranges, for checking which lockfile belongs to it. */
const dependencyRanges = (pkg: PackageJson): [string, string][] =>
  Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).slice(0, 300);

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A dependency as a lockfile writes it with its range: yarn's key, npm's and bun's root entry, pnpm's specifier. */
function listsWithRange(text: string, lock: string, name: string, range: string): boolean {
  const n = escapeRegExp(name);
  const r = escapeRegExp(range);
  if (lock === "yarn.lock")
    return new RegExp(`(?:^|[\\s,])"?${n}@(?:npm:)?${r}["':,]`, "m").test(text);
  if (lock === "pnpm-lock.yaml")
    return new RegExp(`['"]?${n}['"]?:\\s*\\n\\s*specifier:\\s*['"]?${r}['"]?\\s*$`, "m").test(
      text,
    );
  return new RegExp(`"${n}":\\s*"${r}"`).test(text);
}

/**
 * How well a lockfile matches package.json: each dependency listed with its exact range counts
 * 2, listed by name only 1; lockfiles that record package.json's own entry (npm, pnpm, bun)
 * get half a point, so a yarn.lock that proves nothing loses a tie. Undefined when unreadable.
 */
function lockfileMatch(
  view: RepoView,
  folder: string,
  lock: string,
  deps: [string, string][],
): number | undefined {
  if (lock.endsWith(".lockb")) return undefined;
  const text = view.read(joinPath(folder, lock));
  if (text === undefined) return undefined;
  let score = lock === "yarn.lock" ? 0 : 0.5;
  for (const [name, range] of deps) {
    if (listsWithRange(text, lock, name, range)) score += 2;
    else if (new RegExp(`(?:^|[\\s"'/])${escapeRegExp(name)}(?:@|["':])`, "m").test(text))
      score += 1;
  }
  return score;
}

/**
 * packageManager field, then lockfile (pnpm, bun, yarn berry, yarn 1, npm), then engines, then
 * npm. Lockfiles of several managers side by side: the one listing package.json's dependencies
 * wins over a stale one (precedence breaks ties), with a warning either way.
 */
export function detectPackageManager(
  view: RepoView,
  dir: string,
  pkg: PackageJson,
  warnings: string[],
): Fact<PackageManager> {
  const fromField = pkg.packageManager ? managerFromField(pkg.packageManager) : undefined;
  for (const folder of upwards(dir)) {
    const files = new Set(view.list(folder)?.files ?? []);
    const found = LOCKFILES.filter((l) => files.has(l.file) && (!l.needs || files.has(l.needs)));
    if (found.length === 0) continue;
    const where = folder === "." ? "" : `${folder}/`;
    const distinct = found.filter((l, i) => found.findIndex((o) => o.file === l.file) === i);
    if (fromField) {
      const others = distinct.filter(
        (l) => l.manager !== fromField && !(l.file === "yarn.lock" && fromField.startsWith("yarn")),
      );
      if (others.length > 0)
        warnings.push(
          `${where}: ${others.map((l) => l.file).join(", ")} beside package.json#packageManager (${fromField}); using ${fromField}`,
        );
      break;
    }
    let chosen = distinct[0] as (typeof LOCKFILES)[number];
    if (distinct.length > 1) {
      const deps = dependencyRanges(pkg);
      const scores = distinct.map((l) => lockfileMatch(view, folder, l.file, deps));
      const best = Math.max(...scores.map((c) => c ?? -1));
      if (best >= 0) chosen = distinct[scores.indexOf(best)] ?? chosen;
      const unreadable = distinct.filter((_, i) => scores[i] === undefined).map((l) => l.file);
      const stale = distinct.filter((l) => l !== chosen).map((l) => l.file);
      warnings.push(
        `${joinPath(folder, "package.json")}: conflicting lockfiles ${distinct.map((l) => l.file).join(", ")}; using ${chosen.file} (${chosen.manager}), the one that matches package.json's ${deps.length} dependencies best${unreadable.length > 0 ? ` (${unreadable.join(", ")} not compared: unreadable)` : ""}; remove the stale ${stale.join(", ")}`,
      );
    }
    return fact(chosen.manager, joinPath(folder, chosen.file));
  }
  if (fromField) return fact(fromField, `${joinPath(dir, "package.json")}#packageManager`);
  for (const manager of ["pnpm", "yarn", "bun"] as const) {
    if (pkg.engines?.[manager])
      return fact(manager, `${joinPath(dir, "package.json")}#engines.${manager}`);
  }
  return fact("npm", "default (no lockfile)");
}

/** The packageManager field of the nearest package.json above `dir`. */
function rootManagerField(
  view: RepoView,
  dir: string,
): { field: string; source: string } | undefined {
  for (const folder of upwards(dir).slice(1)) {
    const field = parsePackageJson(view.read(joinPath(folder, "package.json")))?.packageManager;
    if (field) return { field, source: `${joinPath(folder, "package.json")}#packageManager` };
  }
  return undefined;
}

export function runScript(manager: PackageManager, script: string): string {
  if (manager === "npm") return script === "start" ? "npm start" : `npm run ${script}`;
  if (manager === "yarn" || manager === "yarn-berry") return `yarn ${script}`;
  if (manager === "pnpm") return `pnpm ${script}`;
  return `bun run ${script}`;
}

function nodeVersion(view: RepoView, dir: string, pkg: PackageJson): Fact<string> | undefined {
  if (pkg.engines?.node)
    return fact(pkg.engines.node, `${joinPath(dir, "package.json")}#engines.node`);
  for (const folder of upwards(dir)) {
    for (const file of [".nvmrc", ".node-version"]) {
      const text = view.read(joinPath(folder, file))?.trim();
      if (text) return fact(text.replace(/^v/, ""), joinPath(folder, file));
    }
  }
  // A workspace member: the root's engines.node applies to every package.
  for (const folder of upwards(dir).slice(1)) {
    const file = joinPath(folder, "package.json");
    const engines = parsePackageJson(view.read(file))?.engines?.node;
    if (engines) return fact(engines, `${file}#engines.node`);
  }
  return undefined;
}

interface FrameworkRule {
  deps: string[];
  name: string;
  spa: boolean;
  port: number;
  output?: string;
  /** How the built server starts when package.json has no start script. */
  start?: string;
  /** Binaries whose use in a script shows a devDependency framework is the app's own. */
  bins: string[];
}

/** Server-rendering frameworks first: they are servers even though they build with vite. */
const FRAMEWORKS: FrameworkRule[] = [
  {
    deps: ["@tanstack/react-start", "@tanstack/solid-start", "@tanstack/start"],
    name: "tanstack-start",
    spa: false,
    port: 3000,
    output: ".output",
    start: "node .output/server/index.mjs",
    bins: ["vite", "vinxi"],
  },
  {
    deps: ["@remix-run/serve", "@remix-run/node", "@remix-run/dev"],
    name: "remix",
    spa: false,
    port: 3000,
    output: "build",
    start: "node_modules/.bin/remix-serve build/server/index.js",
    bins: ["remix", "vite"],
  },
  {
    deps: ["@react-router/serve"],
    name: "react-router",
    spa: false,
    port: 3000,
    output: "build",
    start: "node_modules/.bin/react-router-serve build/server/index.js",
    bins: ["react-router"],
  },
  {
    deps: ["nuxt"],
    name: "nuxt",
    spa: false,
    port: 3000,
    output: ".output",
    start: "node .output/server/index.mjs",
    bins: ["nuxt", "nuxi"],
  },
  {
    deps: ["@sveltejs/kit"],
    name: "sveltekit",
    spa: false,
    port: 3000,
    output: "build",
    start: "node build",
    bins: ["vite", "svelte-kit"],
  },
  {
    deps: ["astro"],
    name: "astro",
    spa: false,
    port: 4321,
    output: "dist",
    start: "node dist/server/entry.mjs",
    bins: ["astro"],
  },
  { deps: ["next"], name: "nextjs", spa: false, port: 3000, output: ".next", bins: ["next"] },
  {
    deps: ["@nestjs/core"],
    name: "nestjs",
    spa: false,
    port: 3000,
    output: "dist",
    start: "node dist/main",
    bins: ["nest"],
  },
  { deps: ["fastify"], name: "fastify", spa: false, port: 3000, bins: ["fastify"] },
  { deps: ["express"], name: "express", spa: false, port: 3000, bins: [] },
  { deps: ["koa"], name: "koa", spa: false, port: 3000, bins: [] },
  { deps: ["@hapi/hapi"], name: "hapi", spa: false, port: 3000, bins: [] },
  { deps: ["hono"], name: "hono", spa: false, port: 3000, bins: [] },
  { deps: ["elysia"], name: "elysia", spa: false, port: 3000, bins: [] },
  {
    deps: ["react-scripts"],
    name: "cra",
    spa: true,
    port: 8080,
    output: "build",
    bins: ["react-scripts"],
  },
  { deps: ["vite"], name: "vite", spa: true, port: 8080, output: "dist", bins: ["vite"] },
  {
    deps: ["@vue/cli-service"],
    name: "vue-cli",
    spa: true,
    port: 8080,
    output: "dist",
    bins: ["vue-cli-service"],
  },
];

/** A framework is the package's own when it is a dependency, or a devDependency a script runs. */
function usedFramework(pkg: PackageJson): { rule: FrameworkRule; dep: string } | undefined {
  const scripts = Object.values(pkg.scripts ?? {}).join("\n");
  for (const rule of FRAMEWORKS) {
    const dep = rule.deps.find(
      (d) =>
        pkg.dependencies?.[d] !== undefined ||
        (pkg.devDependencies?.[d] !== undefined &&
          rule.bins.some((b) => new RegExp(`(^|[\\s;&|])${b}(\\s|$)`, "m").test(scripts))),
    );
    if (dep) return { rule, dep };
  }
  return undefined;
}

/** A config file of the framework (next.config.mjs, astro.config.ts…), for its static modes. */
function frameworkConfig(view: RepoView, dir: string, base: string): string {
  for (const ext of ["js", "mjs", "cjs", "ts", "mts"]) {
    const text = view.read(joinPath(dir, `${base}.${ext}`));
    if (text !== undefined) return text;
  }
  return "";
}

/** Frameworks that can also build plain static files, and whether this one is set up to. */
function staticBuild(
  view: RepoView,
  dir: string,
  pkg: PackageJson,
  rule: FrameworkRule,
): { output: string; why: string } | undefined {
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  if (rule.name === "nextjs") {
    const config = frameworkConfig(view, dir, "next.config");
    if (/output\s*:\s*["']export["']/.test(config)) return { output: "out", why: "next.config" };
  }
  if (rule.name === "sveltekit" && deps["@sveltejs/adapter-static"] !== undefined)
    return { output: "build", why: "@sveltejs/adapter-static" };
  if (rule.name === "astro") {
    const config = frameworkConfig(view, dir, "astro.config");
    const server =
      /output\s*:\s*["'](server|hybrid)["']/.test(config) ||
      Object.keys(deps).some((d) => d === "@astrojs/node");
    if (!server) return { output: "dist", why: "astro static output (no server adapter)" };
  }
  if (rule.name === "nuxt" && /\bnuxi? generate\b/.test(pkg.scripts?.build ?? ""))
    return { output: ".output/public", why: "scripts.build runs nuxt generate" };
  return undefined;
}

/** An entry file that can stand unquoted in a start command: no shell syntax, no spaces. */
const SAFE_ENTRY = /^[\w@+-][\w./@+-]*$/;

/** Commands of development tools (and their packages) that production installs leave out. */
const DEV_RUNNERS: Record<string, string> = {
  nodemon: "nodemon",
  "node-dev": "node-dev",
  "ts-node-dev": "ts-node-dev",
  supervisor: "supervisor",
  nest: "@nestjs/cli",
};

/** Scripts that start the production server when `start` runs a development tool. */
const PROD_SCRIPTS = ["start:prod", "start:production", "prod", "production", "serve"];

/** Env assignments and cross-env in front of a command, then the command's words. */
function commandWords(script: string): string[] {
  const first = script.split(/&&|;|\|\|/)[0] ?? "";
  const words = first.trim().split(/\s+/);
  while (words[0] === "cross-env" || /^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "")) words.shift();
  return words;
}

/** The file a start script runs with node/nodemon/tsx/ts-node/bun, e.g. ./bin/www. */
function startFile(script: string): string | undefined {
  const words = commandWords(script);
  if (!/^(node|nodemon|tsx|ts-node|bun|node-dev|ts-node-dev|supervisor)$/.test(words[0] ?? ""))
    return undefined;
  const rest = words.slice(1);
  if (words[0] === "bun" && rest[0] === "run") rest.shift();
  return rest.find((w) => !w.startsWith("-") && /^[\w./@-]+$/.test(w));
}

const EXTENSIONS = ["", ".js", ".ts", ".mjs", ".cjs", ".mts", "/index.js", "/index.ts"];

/** The file a module path names inside `dir`, trying the extensions Node and TypeScript would. */
function resolveModule(view: RepoView, dir: string, file: string): string | undefined {
  const clean = path.posix.normalize(file.replace(/^\.\//, ""));
  if (clean.startsWith("..") || path.posix.isAbsolute(clean) || !SAFE_ENTRY.test(clean)) return;
  for (const ext of EXTENSIONS) {
    const candidate = `${clean}${ext}`.replace(/\.js\.ts$/, ".ts");
    if (view.read(joinPath(dir, candidate)) !== undefined) return candidate;
  }
  // TypeScript sources import "./app.js" for app.ts.
  const ts = clean.replace(/\.js$/, ".ts");
  return ts !== clean && view.read(joinPath(dir, ts)) !== undefined ? ts : undefined;
}

/** Files a Node server usually starts from, when no start script names one. */
const CONVENTIONAL_ENTRIES = [
  "server.js",
  "index.js",
  "app.js",
  "server.ts",
  "index.ts",
  "src/server.ts",
  "src/server.js",
  "src/index.ts",
  "src/index.js",
  "src/main.ts",
  "src/app.ts",
  "src/app.js",
];

/** Local modules a file imports or requires, resolved inside `dir`. */
function localImports(view: RepoView, dir: string, file: string, text: string): string[] {
  const out: string[] = [];
  const pattern = /(?:require\(\s*|\bfrom\s+|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"'\n]{1,200})["']/g;
  for (const match of text.matchAll(pattern)) {
    const target = path.posix.join(path.posix.dirname(file), match[1] ?? "");
    const resolved = resolveModule(view, dir, target);
    if (resolved) out.push(resolved);
  }
  return out;
}

/** How many files are followed from the entry looking for its port. */
const PORT_FILES = 12;

/** The port the entry file (or a module it loads) names, breadth first. */
function portFromEntry(view: RepoView, dir: string, entry: string): Fact<number> | undefined {
  const queue = [entry];
  const seen = new Set(queue);
  while (queue.length > 0 && seen.size <= PORT_FILES + queue.length) {
    const file = queue.shift() as string;
    const text = view.read(joinPath(dir, file));
    if (text === undefined) continue;
    const port = portInSource(text, joinPath(dir, file));
    if (port) return port;
    for (const next of localImports(view, dir, file, text)) {
      if (seen.size >= PORT_FILES || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return undefined;
}

/** Source that serves HTTP by itself (node:http, Bun.serve, a default export with fetch). */
const SERVES =
  /\.listen\(|createServer\(|Bun\.serve\(|\bserve\(\s*\{|export default\s*\{[^}]*fetch/;

export interface NodeContext {
  /** Package names that other packages of the workspace depend on. */
  dependedOn?: ReadonlySet<string>;
}

/** What a Node (or Bun) folder is: a service or a library, and how to build and run it. */
export function analyzeNode(
  view: RepoView,
  dir: string,
  pkg: PackageJson,
  warnings: string[],
  context: NodeContext = {},
): { service: Analysis; isService: boolean; library?: string } {
  const pkgFile = joinPath(dir, "package.json");
  const manager = detectPackageManager(view, dir, pkg, warnings);
  const used = usedFramework(pkg);
  const staticMode = used ? staticBuild(view, dir, pkg, used.rule) : undefined;
  const framework = used?.rule;
  const spa = framework ? framework.spa || staticMode !== undefined : false;
  const scripts = pkg.scripts ?? {};
  const service: Analysis = {
    language: manager.value === "bun" ? fact("bun", manager.source) : fact("node", pkgFile),
    packageManager: manager,
    spa,
  };
  const pinned = pkg.packageManager
    ? /@(\d+(?:\.\d+){0,2})/.exec(pkg.packageManager)?.[1]
    : undefined;
  if (pinned && manager.source.endsWith("#packageManager"))
    service.packageManagerVersion = fact(pinned, manager.source);
  else if (!pkg.packageManager) {
    // A workspace member: corepack pins the manager in the workspace root's package.json.
    const root = rootManagerField(view, dir);
    if (root && managerFromField(root.field) === manager.value) {
      const version = /@(\d+(?:\.\d+){0,2})/.exec(root.field)?.[1];
      if (version) service.packageManagerVersion = fact(version, root.source);
    }
  }
  const version = nodeVersion(view, dir, pkg);
  if (version) service.runtimeVersion = version;
  if (framework && used) {
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    const flavour =
      framework.name === "vite"
        ? ["react", "vue", "svelte", "solid-js", "preact"].find((f) => deps[f] !== undefined)
        : undefined;
    const where = pkg.dependencies?.[used.dep] !== undefined ? "dependencies" : "devDependencies";
    service.framework = fact(
      flavour ? `vite-${flavour.replace(/-js$/, "")}` : framework.name,
      `${pkgFile}#${where}.${used.dep}`,
    );
    if (staticMode) service.outputDir = fact(staticMode.output, staticMode.why);
    else if (framework.output)
      service.outputDir = fact(framework.output, `${framework.name} default`);
    if (
      framework.name === "sveltekit" &&
      !staticMode &&
      deps["@sveltejs/adapter-node"] === undefined
    )
      warnings.push(
        `${pkgFile}: SvelteKit without @sveltejs/adapter-node builds no Node server outside its hosting platforms; add adapter-node (or adapter-static for a static site)`,
      );
  }
  if (scripts.build)
    service.buildCommand = fact(runScript(manager.value, "build"), `${pkgFile}#scripts.build`);

  // The file the start command runs, when it names one: its port is the one that counts.
  const named = scripts.start ? startFile(scripts.start) : undefined;
  const namedEntry = named ? resolveModule(view, dir, named) : undefined;
  const entry =
    namedEntry ??
    (pkg.main ? resolveModule(view, dir, pkg.main) : undefined) ??
    CONVENTIONAL_ENTRIES.find((f) => view.read(joinPath(dir, f)) !== undefined);
  const entrySource = entry ? (view.read(joinPath(dir, entry)) ?? "") : "";

  if (!spa) {
    const words = commandWords(scripts.start ?? "");
    const tool = words[0] !== undefined ? DEV_RUNNERS[words[0]] : undefined;
    const devOnly = tool !== undefined && pkg.dependencies?.[tool] === undefined;
    const plainNode = /^node [\w./-]+$/.test(scripts.start ?? "") ? scripts.start : undefined;
    const prodScript = PROD_SCRIPTS.find((k) => /^node [\w./-]+$/.test(scripts[k] ?? ""));
    const replacement = !devOnly
      ? undefined
      : prodScript
        ? fact(scripts[prodScript] as string, `${pkgFile}#scripts.${prodScript}`)
        : entry && /\.[cm]?js$|^[^.]+$/.test(entry)
          ? fact(`node ${entry}`, joinPath(dir, entry))
          : framework?.start
            ? fact(framework.start, `${framework.name} default`)
            : undefined;
    if (replacement) {
      // A production install leaves the tool out: `npm start` would exit 127.
      service.startCommand = fact(
        replacement.value,
        `${replacement.source} (scripts.start runs ${words[0]}, not a production dependency)`,
      );
      warnings.push(
        `${pkgFile}#scripts.start runs ${words[0]}, which a production install leaves out (${tool} is not in dependencies); starting with "${replacement.value}" instead`,
      );
    } else if (plainNode) service.startCommand = fact(plainNode, `${pkgFile}#scripts.start`);
    else if (scripts.start)
      service.startCommand = fact(runScript(manager.value, "start"), `${pkgFile}#scripts.start`);
    else if (framework?.start)
      service.startCommand = fact(framework.start, `${framework.name} default`);
    else if (entry && (framework || SERVES.test(entrySource)))
      service.startCommand = fact(
        `${manager.value === "bun" ? "bun" : "node"} ${entry}`,
        joinPath(dir, entry),
      );
  }
  if (spa) {
    service.port = fact(8080, "static server of the generated image");
  } else {
    const scriptPort = scripts.start ? portInCommand(scripts.start) : undefined;
    if (scriptPort) service.port = fact(scriptPort, `${pkgFile}#scripts.start`);
    if (!service.port && entry) service.port = portFromEntry(view, dir, entry);
    for (const file of service.port ? [] : CONFIG_FILES) {
      const text = view.read(joinPath(dir, file));
      const port = text ? portInConfig(text, joinPath(dir, file)) : undefined;
      if (port) {
        service.port = port;
        break;
      }
    }
    if (!service.port && framework)
      service.port = fact(framework.port, `${framework.name} default`);
  }

  // A package others import, or one published with exports/types and no start script, is a
  // library: it has no way to start, whatever framework it builds against.
  const dependedOn = pkg.name !== undefined && context.dependedOn?.has(pkg.name);
  if (!scripts.start && (dependedOn || (pkg.publishes && !SERVES.test(entrySource)))) {
    const why = dependedOn
      ? "other workspace packages depend on it"
      : "it publishes exports/types and has no start script";
    return { service, isService: false, library: why };
  }
  const runsServer = Boolean(framework) || SERVES.test(entrySource);
  const isService = Boolean(scripts.start || runsServer);
  return {
    service,
    isService,
    ...(isService
      ? {}
      : {
          library: pkg.bin
            ? "a command-line tool (bin), no server"
            : "no start script and no server",
        }),
  };
}
