import path from "node:path";
import { load } from "js-yaml";
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

/** Workspace globs of npm/yarn/bun (package.json) and pnpm (pnpm-workspace.yaml). */
function workspaceGlobs(view: RepoView): string[] {
  const pkg = rootPackage(view);
  const fromPkg = Array.isArray(pkg?.workspaces)
    ? pkg.workspaces
    : (pkg?.workspaces?.packages ?? []);
  let fromPnpm: string[] = [];
  const pnpm = view.read("pnpm-workspace.yaml");
  if (pnpm) {
    try {
      const doc = load(pnpm) as { packages?: unknown };
      if (Array.isArray(doc?.packages))
        fromPnpm = doc.packages.filter((p): p is string => typeof p === "string");
    } catch {}
  }
  return [...fromPkg, ...fromPnpm].filter((g) => !g.startsWith("!"));
}

function expandGlob(view: RepoView, glob: string): string[] {
  const clean = glob
    .replace(/^\.\//, "")
    .replace(/\/\*\*$/, "/*")
    .replace(/\/$/, "");
  if (!clean.includes("*")) return view.list(clean) ? [clean] : [];
  const star = clean.indexOf("*");
  const parent = clean.slice(0, clean.lastIndexOf("/", star)) || ".";
  const pattern = new RegExp(
    `^${clean
      .slice(parent === "." ? 0 : parent.length + 1)
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")}$`,
  );
  return (view.list(parent)?.dirs ?? [])
    .filter((d) => pattern.test(d) && !SKIPPED_DIRS.has(d))
    .map((d) => joinPath(parent, d));
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

/** Dockerfiles named by a compose file: folder → Dockerfile path. */
function composeDockerfiles(view: RepoView, warnings: string[]): Map<string, Fact<string>> {
  const out = new Map<string, Fact<string>>();
  for (const file of COMPOSE_FILES) {
    const text = view.read(file);
    if (!text) continue;
    let doc: {
      services?: Record<string, { build?: string | { context?: string; dockerfile?: string } }>;
    };
    try {
      doc = load(text) as typeof doc;
    } catch {
      warnings.push(`${file}: not valid YAML; ignored`);
      continue;
    }
    for (const [name, svc] of Object.entries(doc?.services ?? {})) {
      const build = typeof svc?.build === "string" ? { context: svc.build } : svc?.build;
      if (!build) continue;
      const context = path.posix.normalize(build.context ?? ".").replace(/\/$/, "");
      if (context.startsWith("..")) {
        warnings.push(`${file}: service ${name} builds from outside the repository; ignored`);
        continue;
      }
      out.set(
        context,
        fact(joinPath(context, build.dockerfile ?? "Dockerfile"), `${file}#services.${name}.build`),
      );
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
function candidateDirs(view: RepoView): string[] {
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
  for (const glob of workspaceGlobs(view)) for (const dir of expandGlob(view, glob)) out.add(dir);
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
  const workspaceRoot = workspaceGlobs(view).length > 0;
  const services: Service[] = [];
  for (const dir of candidateDirs(view)) {
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
      service.dockerfile = existing;
      const text = view.read(existing.value);
      const port = text ? exposedPort(text, existing.value) : undefined;
      if (port) service.port = port;
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
