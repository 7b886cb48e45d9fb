import path from "node:path";
import { load } from "js-yaml";
import picomatch from "picomatch";
import { isSafeName } from "../fs/untrusted.js";
import { toNameComponent } from "../model/oci.js";
import { analyzeGo } from "./go.js";
import { analyzeNode, type PackageJson, parsePackageJson } from "./node.js";
import { exposedPort } from "./ports.js";
import { analyzePython, PYTHON_MANIFESTS } from "./python.js";
import { diskRepo, joinPath, type RepoView, SKIPPED_DIRS } from "./repo-view.js";
import { type DetectResult, type Fact, fact, type Role, type Service } from "./types.js";

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
const COMPOSE_FILES = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

type Analysis = Omit<Service, "name" | "path" | "role" | "context">;

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
    DOCKERFILES.some((d) => files.has(d))
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

/** Dockerfiles named by a compose file: folder → Dockerfile path (never one outside the repository). */
function composeDockerfiles(view: RepoView, warnings: string[]): Map<string, Fact<string>> {
  const out = new Map<string, Fact<string>>();
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
      const raw = (svc as { build?: unknown } | null)?.build;
      const build =
        typeof raw === "string"
          ? { context: raw }
          : raw !== null && typeof raw === "object"
            ? (raw as { context?: unknown; dockerfile?: unknown })
            : undefined;
      if (!build) continue;
      const field = `services.${isSafeName(name) ? name : JSON.stringify(name)}.build`;
      if (build.context !== undefined && typeof build.context !== "string") continue;
      if (build.dockerfile !== undefined && typeof build.dockerfile !== "string") continue;
      const context = insidePath(build.context ?? ".");
      if (context === undefined) {
        warnings.push(
          `PATH_OUTSIDE_ROOT: ${file}: ${field}.context ${shown(build.context ?? "")} leaves the repository; not used`,
        );
        continue;
      }
      const dockerfile =
        build.dockerfile !== undefined && path.posix.isAbsolute(build.dockerfile)
          ? undefined
          : insidePath(joinPath(context, build.dockerfile ?? "Dockerfile"));
      if (dockerfile === undefined) {
        warnings.push(
          `PATH_OUTSIDE_ROOT: ${file}: ${field}.dockerfile ${shown(build.dockerfile ?? "")} leaves the repository; not read`,
        );
        continue;
      }
      out.set(context, fact(dockerfile, `${file}#${field}`));
    }
    break;
  }
  return out;
}

function analyze(
  view: RepoView,
  dir: string,
  warnings: string[],
): { analysis: Analysis; isService: boolean } {
  const files = new Set(view.list(dir)?.files ?? []);
  const python = PYTHON_MANIFESTS.some((m) => files.has(m));
  // A server language wins over a stray package.json (tooling, a formatter config).
  if (files.has("go.mod")) return { analysis: analyzeGo(view, dir), isService: true };
  if (python) {
    const analysis = analyzePython(view, dir);
    return { analysis, isService: Boolean(analysis.framework || analysis.startCommand) };
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
    const { service, isService } = analyzeNode(view, dir, pkg, warnings);
    return { analysis: service, isService };
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
  if (analysis.framework || analysis.startCommand) return fact("server", "runs a server process");
  return fact("service", "default");
}

/** Folders that may hold a service: the root, first-level folders, workspaces, pairs one level down. */
function candidateDirs(view: RepoView, warnings: string[]): string[] {
  const out = new Set<string>(["."]);
  const top = (view.list(".")?.dirs ?? []).filter(
    (d) => !SKIPPED_DIRS.has(d) && !d.startsWith("."),
  );
  for (const dir of top) {
    const listing = view.list(dir);
    if (!listing) continue;
    if (hasManifest(new Set(listing.files))) out.add(dir);
    for (const sub of listing.dirs) {
      const lower = sub.toLowerCase();
      if (
        (CLIENT_NAMES.has(lower) || SERVER_NAMES.has(lower)) &&
        hasManifest(new Set(view.list(joinPath(dir, sub))?.files ?? []))
      ) {
        out.add(joinPath(dir, sub));
      }
    }
  }
  for (const dir of workspaceDirs(view, workspaceGlobs(view), warnings)) out.add(dir);
  return [...out].sort();
}

function serviceName(dir: string, view: RepoView, rootName: string): string {
  if (dir !== ".") return toNameComponent(dir.split("/").pop() ?? dir) || "service";
  const pkgName = rootPackage(view)?.name?.replace(/^@[^/]+\//, "");
  return toNameComponent(pkgName ?? rootName) || "app";
}

/** Every service in a repository view, with each fact's source. Pure over the view. */
export function detectServices(view: RepoView, rootName = "app"): DetectResult {
  const warnings: string[] = [];
  const compose = composeDockerfiles(view, warnings);
  const workspaceRoot = workspaceGlobs(view).some((g) => !g.startsWith("!"));
  const services: Service[] = [];
  for (const dir of candidateDirs(view, warnings)) {
    const files = new Set(view.list(dir)?.files ?? []);
    const dockerfileName = DOCKERFILES.find((d) => files.has(d));
    const existing = dockerfileName
      ? fact(joinPath(dir, dockerfileName), "existing file")
      : compose.get(dir);
    const { analysis, isService } = analyze(view, dir, warnings);
    // The root of a workspace is a service only when it runs something itself.
    if (dir === "." && workspaceRoot && !analysis.framework) continue;
    if (!isService && !existing) continue;
    const service: Service = {
      name: serviceName(dir, view, rootName),
      path: dir,
      role: roleOf(dir === "." ? "" : (dir.split("/").pop() ?? ""), analysis),
      ...analysis,
      context: workspaceContext(dir, analysis) ?? fact(dir, "the service folder"),
    };
    if (existing) {
      // Reused only when it is a regular file inside the repository (the view checks real paths).
      const text = view.read(existing.value);
      if (text === undefined) {
        warnings.push(
          `${existing.source}: ${existing.value} is not a readable regular file inside the repository; not reused`,
        );
      } else {
        service.dockerfile = existing;
        const port = exposedPort(text, existing.value);
        if (port) service.port = port;
      }
    }
    services.push(service);
  }
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
