import { statSync } from "node:fs";
import path from "node:path";
import { checkCatalog, checkCatalogFiles } from "./catalog-rules.js";
import { CATALOG_SCHEMA_VERSION, type Catalog, catalogSchema } from "./catalog-schema.js";
import { readConfigText } from "./config-file.js";
import type { Validated } from "./diagnostics.js";
import { validateDocument } from "./validate-document.js";

export interface LoadedCatalog {
  catalog: Catalog;
  /** The catalog file as the user named it, used in every diagnostic. */
  file: string;
  /** The repository root: the folder holding the catalog; every path in it is relative to this. */
  root: string;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;
}

/** What the cross-field rules need, from a catalog that failed the schema elsewhere. */
function salvageCatalog(data: unknown): Catalog {
  const root = record(data);
  const images: Catalog["images"] = {};
  for (const [name, raw] of Object.entries(record(root.images))) {
    const image = record(raw);
    if (typeof image.from !== "string") continue;
    images[name] = {
      from: image.from,
      platforms: strings(image.platforms),
      repository: typeof image.repository === "string" ? image.repository : undefined,
    };
  }
  const groups: Catalog["groups"] = {};
  for (const [name, members] of Object.entries(record(root.groups))) {
    const list = strings(members);
    if (list) groups[name] = list;
  }
  const platforms = strings(record(root.defaults).platforms);
  return {
    schemaVersion: 1,
    defaults: { platforms: platforms?.length ? platforms : ["linux/amd64"], labels: {} },
    images,
    groups,
  };
}

export type PathKind = "file" | "directory" | undefined;

/** Pure: text in, catalog or located errors out. `exists` lets callers check named files. */
export function validateCatalogText(
  file: string,
  text: string,
  exists?: (repoRelativePath: string) => PathKind,
): Validated<Catalog> {
  const result = validateDocument(file, text, catalogSchema, {
    supportedVersion: CATALOG_SCHEMA_VERSION,
    rules: (catalog, source) => [
      ...checkCatalog(catalog, source),
      ...(exists ? checkCatalogFiles(catalog, source, exists) : []),
    ],
    salvage: salvageCatalog,
  });
  return { value: result.value, errors: result.errors, warnings: result.warnings };
}

export function pathKindIn(root: string): (relative: string) => PathKind {
  return (relative) => {
    try {
      const stat = statSync(path.join(root, relative));
      return stat.isDirectory() ? "directory" : stat.isFile() ? "file" : undefined;
    } catch {
      return undefined;
    }
  };
}

export async function loadCatalog(file: string): Promise<Validated<LoadedCatalog>> {
  const read = readConfigText(file);
  if (!read.ok) return { value: undefined, errors: [read.error], warnings: [] };
  const root = path.dirname(path.resolve(file));
  const result = validateCatalogText(file, read.text, pathKindIn(root));
  return {
    value: result.value ? { catalog: result.value, file, root } : undefined,
    errors: result.errors,
    warnings: result.warnings,
  };
}
