import { ExitCode, HiltError, InvalidConfigError } from "../errors.js";
import { catalogParent } from "../model/catalog-rules.js";
import type { Catalog } from "../model/catalog-schema.js";
import { formatReference, parseReference } from "../model/oci.js";

export interface ResolveRequest {
  mode: "session" | "task";
  provider?: string;
  /** Capabilities the image must provide; picks the smallest catalog image that has them all. */
  needs?: readonly string[];
  env: Record<string, string | undefined>;
  catalog?: Catalog;
  /** Overrides catalog.runtime.registry. */
  registry?: string;
}

export interface Resolution {
  mode: "session" | "task";
  provider: string | null;
  image: string;
  /** Which rule decided: an environment variable's name, or catalog.runtime.…, or needs. */
  source: string;
  catalogImage: string | null;
}

export function providerVariable(provider: string): string {
  return `TASK_IMAGE_${provider.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/** Every capability of an image: its own and its ancestors'. */
export function capabilitiesOf(catalog: Catalog, name: string, trail: string[] = []): Set<string> {
  const image = catalog.images[name];
  if (!image || trail.includes(name)) return new Set();
  const parent = catalogParent(catalog, image.from);
  const inherited = parent ? capabilitiesOf(catalog, parent, [...trail, name]) : new Set<string>();
  for (const c of image.provides ?? []) inherited.add(c);
  return inherited;
}

function depthOf(catalog: Catalog, name: string): number {
  let depth = 0;
  for (
    let p = catalogParent(catalog, catalog.images[name]?.from ?? "");
    p && depth < 1000;
    depth++
  ) {
    p = catalogParent(catalog, catalog.images[p]?.from ?? "");
  }
  return depth;
}

/** The smallest image (fewest capabilities, then shallowest, then by name) providing `needs`. */
export function smallestProviding(catalog: Catalog, needs: readonly string[]): string | undefined {
  const candidates = Object.keys(catalog.images)
    .map((name) => ({ name, caps: capabilitiesOf(catalog, name) }))
    .filter(({ caps }) => needs.every((n) => caps.has(n)))
    .sort(
      (a, b) =>
        a.caps.size - b.caps.size ||
        depthOf(catalog, a.name) - depthOf(catalog, b.name) ||
        a.name.localeCompare(b.name),
    );
  return candidates[0]?.name;
}

function refOf(catalog: Catalog, name: string, registry: string | undefined): string {
  const prefix = (registry ?? catalog.runtime?.registry ?? "").replace(/\/+$/, "");
  const repository = catalog.images[name]?.repository ?? name;
  const parsed = parseReference(prefix ? `${prefix}/${repository}` : repository);
  if (!parsed.ok)
    throw new HiltError(
      "INVALID_ARGUMENT",
      `registry prefix "${prefix}" does not give a valid image reference: it ${parsed.reason}`,
      { hint: "write the registry as host[:port][/namespace], e.g. ghcr.io/acme" },
    );
  return formatReference({ ...parsed.value, tag: catalog.runtime?.tag ?? "latest" });
}

/**
 * session → TTYD_IMAGE; task → TASK_IMAGE_<PROVIDER>, else TASK_IMAGE_DEFAULT, else TTYD_IMAGE;
 * the catalog's runtime defaults when the environment names nothing.
 */
export function resolveImage(request: ResolveRequest): Resolution {
  const { env, catalog } = request;
  const provider = request.provider?.toLowerCase() ?? null;
  const found = (
    image: string,
    source: string,
    catalogImage: string | null = null,
  ): Resolution => ({
    mode: request.mode,
    provider,
    image,
    source,
    catalogImage,
  });
  const fromCatalog = (name: string, source: string) =>
    found(refOf(catalog as Catalog, name, request.registry), source, name);

  if (request.needs && request.needs.length > 0) {
    if (!catalog)
      throw new HiltError(
        "CATALOG_REQUIRED",
        "--needs picks from the catalog, and none was loaded",
        { exitCode: ExitCode.usage, hint: "pass --catalog PATH" },
      );
    const name = smallestProviding(catalog, request.needs);
    if (!name) {
      const all = new Set(
        Object.keys(catalog.images).flatMap((n) => [...capabilitiesOf(catalog, n)]),
      );
      throw new HiltError(
        "NO_IMAGE_PROVIDES",
        `no catalog image provides all of: ${request.needs.join(", ")}`,
        {
          exitCode: ExitCode.usage,
          hint:
            all.size > 0
              ? `capabilities in this catalog: ${[...all].sort().join(", ")}`
              : "no image of this catalog declares provides: [...]",
        },
      );
    }
    return fromCatalog(name, "needs");
  }

  if (request.mode === "task") {
    if (provider) {
      const variable = providerVariable(provider);
      if (env[variable]) return found(env[variable] as string, variable);
    }
    if (env.TASK_IMAGE_DEFAULT) return found(env.TASK_IMAGE_DEFAULT, "TASK_IMAGE_DEFAULT");
  }
  if (env.TTYD_IMAGE) return found(env.TTYD_IMAGE, "TTYD_IMAGE");

  const runtime = catalog?.runtime;
  if (request.mode === "task" && runtime) {
    const byProvider = provider ? runtime.task.providers[provider] : undefined;
    if (byProvider) return fromCatalog(byProvider, `catalog.runtime.task.providers.${provider}`);
    if (runtime.task.default)
      return fromCatalog(runtime.task.default, "catalog.runtime.task.default");
  }
  if (runtime?.session) return fromCatalog(runtime.session, "catalog.runtime.session");
  throw new HiltError("NO_RUNTIME_IMAGE", `no image is configured for ${request.mode}s`, {
    exitCode: ExitCode.invalidConfig,
    hint:
      request.mode === "session"
        ? "set TTYD_IMAGE, or runtime.session in the catalog"
        : "set TASK_IMAGE_<PROVIDER>, TASK_IMAGE_DEFAULT or TTYD_IMAGE, or runtime.task in the catalog",
  });
}

export interface CatalogSource {
  /** Loads the project's catalog; throws as loadProject does. */
  load: () => Promise<Catalog>;
  /** The caller named a catalog or a pipeline: then it must load. */
  named: boolean;
}

/** True when the only problem is that the default catalog file does not exist. */
function isMissingDefaultCatalog(error: unknown): boolean {
  if (!(error instanceof InvalidConfigError)) return false;
  return error.diagnostics.every((d) => d.code === "FILE_NOT_FOUND" && d.path === "");
}

/**
 * The one fallback policy of `resolve-image`, shared by the CLI, MCP and the Dagger module: the
 * environment alone can answer, so a missing default catalog is no error (resolution then uses
 * the environment only, and --needs says it needs a catalog). A catalog or pipeline the caller
 * named, or one that exists but is invalid or unreadable, is an error: never silently ignored.
 */
export async function resolveRuntimeImage(
  request: Omit<ResolveRequest, "catalog">,
  source: CatalogSource,
): Promise<Resolution> {
  let catalog: Catalog | undefined;
  try {
    catalog = await source.load();
  } catch (error) {
    if (source.named || !isMissingDefaultCatalog(error)) throw error;
  }
  return resolveImage({ ...request, catalog });
}
