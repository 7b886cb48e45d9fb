import path from "node:path";
import picomatch from "picomatch";
import { parse as load } from "yaml";
import { isSafeName } from "../fs/untrusted.js";
import { toNameComponent } from "../model/oci.js";
import { analyzeGo } from "./go.js";
import { analyzeNode, type PackageJson, parsePackageJson } from "./node.js";
import { analyzeOther, otherLanguage } from "./other.js";
import { dockerfileFacts, isDefaultPort, portInCommand } from "./ports.js";
import { analyzePython, mainScript, PYTHON_MANIFESTS } from "./python.js";
import { diskRepo, joinPath, type RepoView, SKIPPED_DIRS } from "./repo-view.js";
import {
  type Analysis,
  type DetectResult,
  type Fact,
  fact,
  type Role,
  type Service,
} from "./types.js";

const CLIENT_NAMES = new Set([
  "client",
  "frontend",
  "front",
  "web",
  "ui",
  "www",
  "webapp",
  "site",
  "app-web",
]);
const SERVER_NAMES = new Set([
  "server",
  "backend",
  "back",
  "api",
  "service",
  "app-server",
  "worker",
]);
const DOCKERFILES = ["Dockerfile", "Containerfile"];
/** Folders of assets, templates and docs: never a service, whatever files they hold. */
const ASSET_DIRS = new Set([
  "public",
  "static",
  "assets",
  "templates",
  "views",
  "media",
  "images",
  "img",
  "css",
  "js",
  "fonts",
  "styles",
  "locales",
]);
/** Folders of tests, docs, examples and scripts: not searched, though a workspace or compose may name them. */
const NOT_SEARCHED = new Set([
  "fixtures",
  "testdata",
  "test",
  "tests",
  "__tests__",
  "e2e",
  "docs",
  "doc",
  "examples",
  "example",
  "scripts",
  "migrations",
]);
/** Source folders of a project: no app with its own Dockerfile lives under them. */
const SOURCE_DIRS = new Set(["src", "lib", "components", "pages", "routes", "internal", "pkg"]);
/** Folders that group services (apps/web, services/api): looked into one level further. */
const GROUP_DIRS = new Set(["apps", "services", "servers", "microservices", "backends"]);
/** How deep a folder with its own Dockerfile is still found, and how many folders are looked at. */
const DOCKERFILE_DEPTH = 3;
const DOCKERFILE_FOLDERS = 400;
const COMPOSE_FILES = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

function rootPackage(view: RepoView): PackageJson | undefined {
  return parsePackageJson(view.read("package.json"));
}

/** Workspace globs of npm/yarn/bun (package.json) and pnpm (pnpm-workspace.yaml), negations too. */
function workspaceGlobs(view: RepoView): string[] {
  const fromPkg = rootPackage(view)?.workspaces ?? [];
  let fromPnpm: string[] = [];
  const pnpm = view.read("pnpm-workspace.yaml");
  if (pnpm) {
    try {
      const doc = load(pnpm) as { packages?: unknown } | null;
      if (Array.isArray(doc?.packages))
        fromPnpm = doc.packages.filter((p): p is string => typeof p === "string");
    } catch {}
  }
  return [...fromPkg, ...fromPnpm];
}

/** How deep `**` in a workspace glob is followed, and how many folders it may visit. */
const WORKSPACE_DEPTH = 6;
const WORKSPACE_FOLDERS = 5000;

/** Folders matched by workspace globs (picomatch: `*`, `**`, braces, `!` negations). */
function workspaceDirs(view: RepoView, globs: readonly string[], warnings: string[]): string[] {
  const clean = (g: string) =>
    g
      .trim()
      .replace(/^(\.\/)+/, "")
      .replace(/\/+$/, "");
  const include = globs.filter((g) => !g.startsWith("!")).map(clean);
  const exclude = globs.filter((g) => g.startsWith("!")).map((g) => clean(g.slice(1)));
  const excluded = exclude.length > 0 ? picomatch(exclude) : () => false;
  const out = new Set<string>();
  let visited = 0;
  const keep = (dir: string, matches: (d: string) => boolean) => {
    if (!matches(dir) || excluded(dir)) return;
    if (hasManifest(new Set(view.list(dir)?.files ?? []))) out.add(dir);
  };
  const walk = (dir: string, depth: number, matches: (d: string) => boolean) => {
    for (const sub of view.list(dir)?.dirs ?? []) {
      if (SKIPPED_DIRS.has(sub) || sub.startsWith(".")) continue;
      if (++visited > WORKSPACE_FOLDERS) return;
      const rel = joinPath(dir, sub);
      keep(rel, matches);
      if (depth > 1) walk(rel, depth - 1, matches);
    }
  };
  for (const glob of include) {
    if (glob === "" || glob === ".") continue;
    if (glob.startsWith("/") || glob.split("/").includes("..")) {
      warnings.push(`workspace glob ${JSON.stringify(glob)} leaves the repository; ignored`);
      continue;
    }
    const scan = picomatch.scan(glob);
    if (!scan.isGlob) {
      keep(glob, () => true);
      continue;
    }
    const depth = scan.glob.includes("**") ? WORKSPACE_DEPTH : scan.glob.split("/").length;
    walk(scan.base || ".", depth, picomatch(glob));
  }
  if (visited > WORKSPACE_FOLDERS)
    warnings.push(`workspace globs match over ${WORKSPACE_FOLDERS} folders; the rest is ignored`);
  return [...out];
}

function hasManifest(files: Set<string>): boolean {
  return (
    files.has("package.json") ||
    files.has("go.mod") ||
    PYTHON_MANIFESTS.some((m) => files.has(m)) ||
    files.has("index.html") ||
    DOCKERFILES.some((d) => files.has(d)) ||
    otherLanguage(files) !== undefined
  );
}

/** A repository-relative path from a file, normalized; undefined when it leaves the repository. */
function insidePath(value: string): string | undefined {
  const normal = path.posix.normalize(value.replace(/\/+$/, "") || ".");
  if (path.posix.isAbsolute(normal) || normal === ".." || normal.startsWith("../")) return;
  if (!isSafeName(normal)) return;
  return normal;
}

/** A value from a file, for a warning: quoted and cut short. */
const shown = (value: string) =>
  JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/** A compose service Hilt builds: its folder, build context, Dockerfile and how it runs. */
interface ComposeBuild {
  name: string;
  /** The folder holding the service's code: the Dockerfile's folder, else the context. */
  dir: string;
  context: Fact<string>;
  dockerfile: Fact<string>;
  port?: Fact<number>;
}

const asStrings = (value: unknown): string[] =>
  typeof value === "string" || typeof value === "number"
    ? [String(value)]
    : Array.isArray(value)
      ? value.filter((v) => typeof v === "string" || typeof v === "number").map(String)
      : [];

/** The container port of a compose service: command flags, PORT, ports' targets, expose. */
function composePort(svc: Record<string, unknown>, where: string): Fact<number> | undefined {
  const command = asStrings(svc.command).join(" ");
  const fromCommand = portInCommand(command);
  if (fromCommand) return fact(fromCommand, `${where}.command`);
  const env = svc.environment;
  const envPort =
    env !== null && typeof env === "object" && !Array.isArray(env)
      ? (env as Record<string, unknown>).PORT
      : asStrings(env)
          .find((e) => e.startsWith("PORT="))
          ?.slice(5);
  const fromEnv = Number(envPort);
  if (Number.isInteger(fromEnv) && fromEnv > 0 && fromEnv < 65536)
    return fact(fromEnv, `${where}.environment.PORT`);
  const ports = Array.isArray(svc.ports) ? svc.ports : [];
  for (const entry of ports) {
    const target =
      entry !== null && typeof entry === "object"
        ? Number((entry as { target?: unknown }).target)
        : Number(/(\d{1,5})(?:-\d+)?(?:\/(?:tcp|udp))?$/.exec(String(entry))?.[1]);
    if (Number.isInteger(target) && target > 0 && target < 65536)
      return fact(target, `${where}.ports`);
  }
  const exposed = Number(asStrings(svc.expose)[0]);
  if (Number.isInteger(exposed) && exposed > 0 && exposed < 65536)
    return fact(exposed, `${where}.expose`);
  return undefined;
}

/** Services a compose file builds (never with a context or Dockerfile outside the repository). */
function composeBuilds(view: RepoView, warnings: string[]): ComposeBuild[] {
  const out: ComposeBuild[] = [];
  for (const file of COMPOSE_FILES) {
    const text = view.read(file);
    if (!text) continue;
    let doc: unknown;
    try {
      doc = load(text);
    } catch {
      warnings.push(`${file}: not valid YAML; ignored`);
      break;
    }
    const services = (doc as { services?: unknown } | null)?.services;
    if (services === null || typeof services !== "object" || Array.isArray(services)) break;
    for (const [name, svc] of Object.entries(services)) {
      if (svc === null || typeof svc !== "object") continue;
      const raw = (svc as { build?: unknown }).build;
      const build =
        typeof raw === "string"
          ? { context: raw }
          : raw !== null && typeof raw === "object"
            ? (raw as { context?: unknown; dockerfile?: unknown })
            : undefined;
      if (!build) continue;
      const field = `services.${isSafeName(name) ? name : JSON.stringify(name)}`;
      if (build.context !== undefined && typeof build.context !== "string") continue;
      if (build.dockerfile !== undefined && typeof build.dockerfile !== "string") continue;
      const context = insidePath(build.context ?? ".");
      if (context === undefined) {
        warnings.push(
          `PATH_OUTSIDE_ROOT: ${file}: ${field}.build.context ${shown(build.context ?? "")} leaves the repository; not used`,
        );
        continue;
      }
      const dockerfile =
        build.dockerfile !== undefined && path.posix.isAbsolute(build.dockerfile)
          ? undefined
          : insidePath(joinPath(context, build.dockerfile ?? "Dockerfile"));
      if (dockerfile === undefined) {
        warnings.push(
          `PATH_OUTSIDE_ROOT: ${file}: ${field}.build.dockerfile ${shown(build.dockerfile ?? "")} leaves the repository; not read`,
        );
        continue;
      }
      // `context: .` with `dockerfile: backend/Dockerfile`: the code is in backend/, the build
      // context stays the root (the Dockerfile copies backend/… from there).
      const folder = dockerfile.includes("/")
        ? dockerfile.slice(0, dockerfile.lastIndexOf("/"))
        : ".";
      const dir =
        folder !== context &&
        folder.startsWith(context === "." ? "" : `${context}/`) &&
        hasManifest(new Set(view.list(folder)?.files ?? []))
          ? folder
          : context;
      const port = composePort(svc as Record<string, unknown>, `${file}#${field}`);
      out.push({
        name,
        dir,
        context: fact(context, `${file}#${field}.build.context`),
        dockerfile: fact(dockerfile, `${file}#${field}.build`),
        ...(port ? { port } : {}),
      });
    }
    break;
  }
  return out;
}

interface Analyzed {
  analysis: Analysis;
  isService: boolean;
  /** Why a folder with a manifest is not a service (a library, nothing to start). */
  library?: string;
}

function analyze(
  view: RepoView,
  dir: string,
  warnings: string[],
  dependedOn: ReadonlySet<string>,
): Analyzed {
  const files = new Set(view.list(dir)?.files ?? []);
  const python = PYTHON_MANIFESTS.some((m) => files.has(m));
  // A server language wins over a stray package.json (tooling, a formatter config).
  if (files.has("go.mod")) {
    const analysis = analyzeGo(view, dir);
    const runs = analysis.buildCommand !== undefined;
    return {
      analysis,
      isService: runs,
      ...(runs ? {} : { library: "a Go module without package main" }),
    };
  }
  if (python) {
    const analysis = analyzePython(view, dir);
    const runs = Boolean(analysis.framework || analysis.startCommand);
    return {
      analysis,
      isService: runs,
      ...(runs ? {} : { library: "a Python package with nothing to run" }),
    };
  }
  if (files.has("package.json")) {
    const pkg = parsePackageJson(view.read(joinPath(dir, "package.json")));
    if (!pkg) {
      // An unreadable file was already named by the view (too large, not a regular file).
      if (view.read(joinPath(dir, "package.json")) !== undefined)
        warnings.push(`${joinPath(dir, "package.json")}: not valid JSON; language unknown`);
      return {
        analysis: { language: fact("unknown", joinPath(dir, "package.json")), spa: false },
        isService: false,
      };
    }
    const { service, isService, library } = analyzeNode(view, dir, pkg, warnings, { dependedOn });
    return { analysis: service, isService, ...(library ? { library } : {}) };
  }
  const other = otherLanguage(files);
  if (other) return analyzeOther(view, dir, other);
  if ([...files].some((f) => f.endsWith(".py")) && mainScript(view, dir)) {
    const analysis = analyzePython(view, dir);
    return { analysis, isService: true };
  }
  if (files.has("index.html")) {
    return {
      analysis: {
        language: fact("static", joinPath(dir, "index.html")),
        spa: true,
        outputDir: fact(".", "static files"),
        port: fact(8080, "static server of the generated image"),
      },
      isService: true,
    };
  }
  return {
    analysis: { language: fact("unknown", "no manifest found"), spa: false },
    isService: false,
  };
}

/**
 * The build context a reused Dockerfile expects: a folder above its own when the files it
 * COPYs are found from there and not beside it (`COPY backend/requirements.txt .`).
 */
function reusedContext(
  view: RepoView,
  dir: string,
  dockerfile: string,
  file: string,
): Fact<string> | undefined {
  if (dir === ".") return undefined;
  const sources: string[] = [];
  for (const line of dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const copy = /^\s*(?:COPY|ADD)\s+(.*)$/i.exec(line);
    if (!copy || /--from[= ]/i.test(copy[1] ?? "")) continue;
    const words = (copy[1] ?? "").split(/\s+/).filter((w) => w && !w.startsWith("--"));
    sources.push(
      ...words
        .slice(0, -1)
        .map((w) => w.replace(/^["'[,]+|["',\]]+$/g, ""))
        .filter((w) => w && w !== "." && !/[*?$]/.test(w)),
    );
  }
  const exists = (rel: string) => {
    const clean = insidePath(rel);
    return (
      clean !== undefined && (view.read(clean) !== undefined || view.list(clean) !== undefined)
    );
  };
  for (const folder of upwardsFrom(dir).slice(1)) {
    const fits = (s: string) => exists(joinPath(folder, s)) && !exists(joinPath(dir, s));
    if (sources.some(fits)) return fact(folder, `${file} copies files found from ${folder}`);
  }
  return undefined;
}

function upwardsFrom(dir: string): string[] {
  const out = [dir];
  for (let d = dir; d !== "."; ) {
    d = d.includes("/") ? d.slice(0, d.lastIndexOf("/")) : ".";
    out.push(d);
  }
  return out;
}

/** A workspace member whose lockfile lives above it builds from the folder holding the lockfile. */
function workspaceContext(dir: string, analysis: Analysis): Fact<string> | undefined {
  const lock = analysis.packageManager?.source ?? "";
  if (dir === "." || !/(lock\.(json|yaml)|\.lockb?|yarn\.lock)$/.test(lock)) return undefined;
  const folder = lock.includes("/") ? lock.slice(0, lock.lastIndexOf("/")) : ".";
  return folder === dir || folder.startsWith(`${dir}/`)
    ? undefined
    : fact(folder, `workspace lockfile ${lock}`);
}

function roleOf(name: string, analysis: Analysis): Fact<Role> {
  const lower = name.toLowerCase();
  if (CLIENT_NAMES.has(lower)) return fact("client", `folder name "${name}"`);
  if (SERVER_NAMES.has(lower)) return fact("server", `folder name "${name}"`);
  if (analysis.spa) return fact("client", "static/SPA build");
  if (analysis.kind?.value === "job") return fact("service", analysis.kind.source);
  if (analysis.framework || analysis.startCommand) return fact("server", "runs a server process");
  return fact("service", "default");
}

const searchable = (name: string) =>
  !SKIPPED_DIRS.has(name) &&
  !name.startsWith(".") &&
  !ASSET_DIRS.has(name.toLowerCase()) &&
  !NOT_SEARCHED.has(name.toLowerCase());

/**
 * Folders that may hold a service: the root, first-level folders, workspaces, client/server
 * pairs and apps/*, services/* one level down, folders with their own Dockerfile up to three
 * deep, and the folders a compose file builds.
 */
function candidateDirs(view: RepoView, warnings: string[], compose: ComposeBuild[]): string[] {
  const out = new Set<string>(["."]);
  const globs = workspaceGlobs(view);
  // A workspace lists its members itself; elsewhere apps/* and services/* are looked into.
  const groups = globs.some((g) => !g.startsWith("!")) ? new Set<string>() : GROUP_DIRS;
  const top = (view.list(".")?.dirs ?? []).filter(searchable);
  for (const dir of top) {
    const listing = view.list(dir);
    if (!listing) continue;
    if (hasManifest(new Set(listing.files))) out.add(dir);
    for (const sub of listing.dirs) {
      const lower = sub.toLowerCase();
      if (
        searchable(sub) &&
        (CLIENT_NAMES.has(lower) || SERVER_NAMES.has(lower) || groups.has(dir.toLowerCase())) &&
        hasManifest(new Set(view.list(joinPath(dir, sub))?.files ?? []))
      ) {
        out.add(joinPath(dir, sub));
      }
    }
  }
  // An app deeper down that ships its own Dockerfile. A folder with a manifest is a project:
  // below it are its sources, not more apps, so the search stops there (and in source folders).
  let visited = 0;
  const walk = (dir: string, depth: number) => {
    for (const sub of view.list(dir)?.dirs ?? []) {
      if (!searchable(sub) || SOURCE_DIRS.has(sub) || ++visited > DOCKERFILE_FOLDERS) continue;
      const rel = joinPath(dir, sub);
      const files = new Set(view.list(rel)?.files ?? []);
      if (depth > 1 && DOCKERFILES.some((d) => files.has(d))) out.add(rel);
      if (depth < DOCKERFILE_DEPTH && !hasManifest(files)) walk(rel, depth + 1);
    }
  };
  walk(".", 1);
  for (const dir of workspaceDirs(view, globs, warnings))
    if (!ASSET_DIRS.has((dir.split("/").pop() ?? "").toLowerCase())) out.add(dir);
  for (const build of compose) out.add(build.dir);
  return [...out].sort();
}

/** Names of workspace packages that the root or another package depends on: libraries. */
function dependedOnNames(view: RepoView, dirs: readonly string[]): Set<string> {
  const names = new Map<string, string>();
  const uses = new Map<string, Set<string>>();
  for (const dir of dirs) {
    const pkg = parsePackageJson(view.read(joinPath(dir, "package.json")));
    if (!pkg) continue;
    if (pkg.name) names.set(pkg.name, dir);
    const deps = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies };
    uses.set(dir, new Set(Object.keys(deps)));
  }
  const out = new Set<string>();
  for (const [name, dir] of names) {
    for (const [user, deps] of uses) if (user !== dir && deps.has(name)) out.add(name);
  }
  return out;
}

/** The port that runs, by precedence, and a warning naming the facts that disagree with it. */
function choosePort(
  facts: (Fact<number> | undefined)[],
  dir: string,
  warnings: string[],
): Fact<number> | undefined {
  const known = facts.filter((f): f is Fact<number> => f !== undefined);
  const chosen = known[0];
  if (!chosen) return undefined;
  const disagree = known.filter((f) => f.value !== chosen.value && !isDefaultPort(f));
  if (disagree.length > 0 && !isDefaultPort(chosen)) {
    const others = disagree.map((f) => `${f.value} (${f.source})`).join(", ");
    warnings.push(
      `${dir}: ports disagree: using ${chosen.value} (${chosen.source}, what runs) over ${others}`,
    );
  }
  return chosen;
}

function serviceName(dir: string, view: RepoView, rootName: string): string {
  if (dir !== ".") return toNameComponent(dir.split("/").pop() ?? dir) || "service";
  const pkgName = rootPackage(view)?.name?.replace(/^@[^/]+\//, "");
  return toNameComponent(pkgName ?? rootName) || "app";
}

/** Every service in a repository view, with each fact's source. Pure over the view. */
export function detectServices(view: RepoView, rootName = "app"): DetectResult {
  const warnings: string[] = [];
  const compose = composeBuilds(view, warnings);
  const workspaceRoot = workspaceGlobs(view).some((g) => !g.startsWith("!"));
  const dirs = candidateDirs(view, warnings, compose);
  const dependedOn = dependedOnNames(view, dirs);
  const services: Service[] = [];
  const libraries: string[] = [];
  for (const dir of dirs) {
    const files = new Set(view.list(dir)?.files ?? []);
    const composed = compose.find((c) => c.dir === dir);
    const dockerfileName = DOCKERFILES.find((d) => files.has(d));
    const existing =
      composed?.dockerfile ??
      (dockerfileName ? fact(joinPath(dir, dockerfileName), "existing file") : undefined);
    const { analysis, isService, library } = analyze(view, dir, warnings, dependedOn);
    // The root of a workspace is a service only when it runs something itself.
    if (dir === "." && workspaceRoot && !analysis.framework) {
      if (library) libraries.push(`. (workspace root, ${library})`);
      continue;
    }
    if (!isService && !existing) {
      if (library) libraries.push(`${dir} (${library})`);
      continue;
    }
    const { kind, ...rest } = analysis;
    const service: Service = {
      name: serviceName(dir, view, rootName),
      path: dir,
      role: roleOf(dir === "." ? "" : (dir.split("/").pop() ?? ""), analysis),
      ...rest,
      kind:
        kind ??
        fact(
          "service",
          analysis.spa
            ? "static files served by the generated image"
            : analysis.startCommand
              ? "has a start command"
              : "has a Dockerfile",
        ),
      context: workspaceContext(dir, analysis) ?? fact(dir, "the service folder"),
    };
    let dockerfilePorts: Fact<number>[] = [];
    if (existing) {
      // Reused only when it is a regular file inside the repository (the view checks real paths).
      const text = view.read(existing.value);
      if (text === undefined) {
        warnings.push(
          `${existing.source}: ${existing.value} is not a readable regular file inside the repository; not reused`,
        );
      } else {
        service.dockerfile = existing;
        const facts = dockerfileFacts(text, existing.value);
        dockerfilePorts = facts.ports;
        // The image runs the Dockerfile's command, not the one Hilt would generate.
        if (facts.command) service.startCommand = facts.command;
        service.context =
          composed?.context ??
          reusedContext(view, dir, text, existing.value) ??
          fact(dir, "the service folder");
      }
    }
    // What runs wins: the reused Dockerfile's CMD/ENV/EXPOSE, then compose, then the sources.
    const port = choosePort(
      service.dockerfile
        ? [...dockerfilePorts, composed?.port, service.port]
        : [composed?.port, service.port],
      dir,
      warnings,
    );
    if (port) service.port = port;
    services.push(service);
  }
  if (services.length === 0 && libraries.length > 0)
    warnings.push(
      `no services: nothing here has a way to start (a start script, a server, a Dockerfile or a compose service); libraries: ${libraries.slice(0, 10).join(", ")}`,
    );
  // A root service named like one of its folders would collide on image names.
  const seen = new Set<string>();
  for (const s of services) {
    if (seen.has(s.name))
      s.name = `${s.name}-${s.path === "." ? "root" : s.path.replace(/\//g, "-")}`;
    seen.add(s.name);
  }
  const client = services.find((s) => s.role.value === "client");
  const server = services.find((s) => s.role.value === "server");
  return {
    schemaVersion: 1,
    kind: "hilt.detect",
    root: rootName,
    services,
    client: client?.path ?? null,
    server: server?.path ?? null,
    ports: Object.fromEntries(
      services.filter((s) => s.port).map((s) => [s.name, s.port?.value as number]),
    ),
    warnings: [...view.warnings, ...warnings],
  };
}

export function detect(root: string): DetectResult {
  const view = diskRepo(root);
  view.list(".");
  return detectServices(view, path.basename(path.resolve(root)));
}
