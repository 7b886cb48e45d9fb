/** A detected fact and where it came from, e.g. `package.json#engines.node`. */
export interface Fact<T> {
  value: T;
  source: string;
}

export type Language =
  | "node"
  | "bun"
  | "python"
  | "go"
  | "static"
  | "dotnet"
  | "java"
  | "rust"
  | "ruby"
  | "php"
  | "unknown";
/** A long-running process (answers on a port or works a queue) or a one-shot run that exits. */
export type ServiceKind = "service" | "job";
export type PackageManager =
  | "npm"
  | "yarn"
  | "yarn-berry"
  | "pnpm"
  | "bun"
  | "pip"
  | "poetry"
  | "uv"
  | "go";
export type Role = "client" | "server" | "service";

export interface Service {
  name: string;
  /** Folder relative to the repository root; "." for the root. */
  path: string;
  role: Fact<Role>;
  language: Fact<Language>;
  /** Present only as "none": a language Hilt detects but cannot generate an image for. */
  support?: Fact<"none">;
  kind: Fact<ServiceKind>;
  packageManager?: Fact<PackageManager>;
  /** Version pinned by the packageManager field, e.g. 9.1.0 for pnpm@9.1.0. */
  packageManagerVersion?: Fact<string>;
  runtimeVersion?: Fact<string>;
  framework?: Fact<string>;
  /** A single-page app: built to static files and served by a small web server. */
  spa: boolean;
  buildCommand?: Fact<string>;
  startCommand?: Fact<string>;
  /** Where a build writes its output (SPA or compiled server). */
  outputDir?: Fact<string>;
  port?: Fact<number>;
  /** Folder the image builds from: the workspace root for a workspace member, else `path`. */
  context: Fact<string>;
  /** An existing Dockerfile (repository-relative) that is reused. */
  dockerfile?: Fact<string>;
  /** Python entry module, e.g. main:app, for generated start commands. */
  entry?: Fact<string>;
}

export interface DetectResult {
  schemaVersion: 1;
  kind: "hilt.detect";
  root: string;
  services: Service[];
  /** Kept for programs that read client/server repositories: folders, then ports by role. */
  client: string | null;
  server: string | null;
  ports: Record<string, number>;
  warnings: string[];
}

/** What a language analyzer finds in one folder; detect adds the name, path, role and context. */
export type Analysis = Omit<Service, "name" | "path" | "role" | "context" | "kind"> & {
  kind?: Fact<ServiceKind>;
};

export function fact<T>(value: T, source: string): Fact<T> {
  return { value, source };
}
