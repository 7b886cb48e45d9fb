import { portInSource } from "./ports.js";
import type { RepoView } from "./repo-view.js";
import { joinPath } from "./repo-view.js";
import { type Fact, fact, type PackageManager, type Service } from "./types.js";

export interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
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
  for (const key of ["scripts", "dependencies", "devDependencies", "engines"] as const) {
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

/** packageManager field, then lockfile (pnpm, bun, yarn berry, yarn 1, npm), then engines, then npm. */
export function detectPackageManager(
  view: RepoView,
  dir: string,
  pkg: PackageJson,
  warnings: string[],
): Fact<PackageManager> {
  const fromField = pkg.packageManager ? managerFromField(pkg.packageManager) : undefined;
  if (fromField) return fact(fromField, `${joinPath(dir, "package.json")}#packageManager`);
  for (const folder of upwards(dir)) {
    const files = new Set(view.list(folder)?.files ?? []);
    const found = LOCKFILES.filter((l) => files.has(l.file) && (!l.needs || files.has(l.needs)));
    const first = found[0];
    if (!first) continue;
    const distinct = [...new Set(found.map((l) => l.file))];
    if (distinct.length > 1) {
      warnings.push(
        `${folder === "." ? "" : `${folder}/`}: conflicting lockfiles ${distinct.join(", ")}; using ${first.file} (${first.manager})`,
      );
    }
    return fact(first.manager, joinPath(folder, first.file));
  }
  for (const manager of ["pnpm", "yarn", "bun"] as const) {
    if (pkg.engines?.[manager])
      return fact(manager, `${joinPath(dir, "package.json")}#engines.${manager}`);
  }
  return fact("npm", "default (no lockfile)");
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
  return undefined;
}

const FRAMEWORKS: { dep: string; name: string; spa: boolean; port: number; output?: string }[] = [
  { dep: "next", name: "nextjs", spa: false, port: 3000, output: ".next" },
  { dep: "@nestjs/core", name: "nestjs", spa: false, port: 3000, output: "dist" },
  { dep: "fastify", name: "fastify", spa: false, port: 3000 },
  { dep: "express", name: "express", spa: false, port: 3000 },
  { dep: "koa", name: "koa", spa: false, port: 3000 },
  { dep: "react-scripts", name: "cra", spa: true, port: 8080, output: "build" },
  { dep: "vite", name: "vite", spa: true, port: 8080, output: "dist" },
  { dep: "@vue/cli-service", name: "vue-cli", spa: true, port: 8080, output: "dist" },
];

/** An entry file that can stand unquoted in a start command: no shell syntax, no spaces. */
const SAFE_ENTRY = /^[\w@+-][\w./@+-]*$/;

/** Files a Node server usually starts from, in the order they are tried for a port. */
function entryCandidates(pkg: PackageJson): string[] {
  const fromStart = /\b(?:node|nodemon|tsx|ts-node|bun)\s+([\w./-]+\.[cm]?[jt]s)\b/.exec(
    pkg.scripts?.start ?? "",
  )?.[1];
  return [
    ...(fromStart ? [fromStart] : []),
    ...(pkg.main ? [pkg.main] : []),
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
  ]
    .map((f) => f.replace(/^\.\//, ""))
    .filter((f) => SAFE_ENTRY.test(f) && !f.split("/").includes(".."));
}

/** What a Node (or Bun) folder is: a service or a library, and how to build and run it. */
export function analyzeNode(
  view: RepoView,
  dir: string,
  pkg: PackageJson,
  warnings: string[],
): { service: Omit<Service, "name" | "path" | "role" | "context">; isService: boolean } {
  const pkgFile = joinPath(dir, "package.json");
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const manager = detectPackageManager(view, dir, pkg, warnings);
  const framework = FRAMEWORKS.find(
    (f) =>
      deps[f.dep] !== undefined &&
      !(f.spa && FRAMEWORKS.some((s) => !s.spa && deps[s.dep] !== undefined)),
  );
  const spa = framework?.spa ?? false;
  const scripts = pkg.scripts ?? {};
  const service: Omit<Service, "name" | "path" | "role" | "context"> = {
    language: manager.value === "bun" ? fact("bun", manager.source) : fact("node", pkgFile),
    packageManager: manager,
    spa,
  };
  const pinned = pkg.packageManager
    ? /@(\d+(?:\.\d+){0,2})/.exec(pkg.packageManager)?.[1]
    : undefined;
  if (pinned && manager.source.endsWith("#packageManager"))
    service.packageManagerVersion = fact(pinned, manager.source);
  const version = nodeVersion(view, dir, pkg);
  if (version) service.runtimeVersion = version;
  if (framework) {
    const flavour =
      framework.name === "vite"
        ? ["react", "vue", "svelte"].find((f) => deps[f] !== undefined)
        : undefined;
    service.framework = fact(
      flavour ? `vite-${flavour}` : framework.name,
      `${pkgFile}#dependencies.${framework.dep}`,
    );
    if (framework.output) service.outputDir = fact(framework.output, `${framework.name} default`);
  }
  if (scripts.build)
    service.buildCommand = fact(runScript(manager.value, "build"), `${pkgFile}#scripts.build`);
  const entries = entryCandidates(pkg);
  const entry = entries.find((f) => view.read(joinPath(dir, f)) !== undefined);
  if (!spa) {
    // A plain `node file` start script runs node directly: a package manager as PID 1 swallows signals.
    const plainNode = /^node [\w./-]+$/.test(scripts.start ?? "") ? scripts.start : undefined;
    if (plainNode) service.startCommand = fact(plainNode, `${pkgFile}#scripts.start`);
    else if (scripts.start)
      service.startCommand = fact(runScript(manager.value, "start"), `${pkgFile}#scripts.start`);
    else if (entry) service.startCommand = fact(`node ${entry}`, joinPath(dir, entry));
  }
  if (spa) {
    service.port = fact(8080, "static server of the generated image");
  } else {
    for (const file of entries) {
      const text = view.read(joinPath(dir, file));
      const port = text ? portInSource(text, joinPath(dir, file)) : undefined;
      if (port) {
        service.port = port;
        break;
      }
    }
    const scriptPort = scripts.start ? /(?:--port|-p)[= ](\d{2,5})/.exec(scripts.start) : null;
    if (!service.port && scriptPort)
      service.port = fact(Number(scriptPort[1]), `${pkgFile}#scripts.start`);
    if (!service.port && framework)
      service.port = fact(framework.port, `${framework.name} default`);
  }
  const isService = Boolean(framework || scripts.start || (entry && !pkg.main));
  return { service, isService };
}
