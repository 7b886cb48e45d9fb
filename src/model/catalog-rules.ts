import { findCycles } from "../plan/graph.js";
import { didYouMean } from "../util/did-you-mean.js";
import { type Catalog, parseByteSize, type Step } from "./catalog-schema.js";
import type { Diagnostic } from "./diagnostics.js";
import { parseReference } from "./oci.js";
import type { PathSegment, YamlSource } from "./yaml-source.js";
import { formatPath } from "./yaml-source.js";

type Report = (path: PathSegment[], code: string, message: string, hint?: string) => void;

function reporter(
  source: YamlSource,
  out: Diagnostic[],
  severity: Diagnostic["severity"] = "error",
): Report {
  return (path, code, message, hint) => {
    const { line, column } = source.locate(path);
    out.push({
      code,
      severity,
      file: source.file,
      line,
      column,
      path: formatPath(path),
      message,
      ...(hint ? { hint } : {}),
    });
  };
}

/** The label a mirrored image carries: which of its steps a pipeline replaced. */
export const MIRRORED_LABEL = "dev.hilt.mirrored-steps";

/**
 * The catalog with the pipeline's `mirrors` in place of the steps they name (IMAGE.STEP-ID).
 * Keys that name no step come back in `unknown`; each image changed is labelled with its
 * replaced step ids, and its input hash changes with the step.
 */
export function withMirrors(
  catalog: Catalog,
  mirrors: Readonly<Record<string, Step>>,
): { catalog: Catalog; replaced: string[]; unknown: string[] } {
  const replaced: string[] = [];
  const images: Catalog["images"] = { ...catalog.images };
  for (const [name, image] of Object.entries(catalog.images)) {
    if (!image.steps) continue;
    const ids: string[] = [];
    const steps = image.steps.map((step) => {
      const mirror = step.id ? mirrors[`${name}.${step.id}`] : undefined;
      if (!mirror || !step.id) return step;
      ids.push(step.id);
      replaced.push(`${name}.${step.id}`);
      return { ...mirror, id: step.id };
    });
    if (ids.length > 0)
      images[name] = {
        ...image,
        steps,
        labels: { ...image.labels, [MIRRORED_LABEL]: ids.join(",") },
      };
  }
  const unknown = Object.keys(mirrors).filter((key) => !replaced.includes(key));
  return { catalog: { ...catalog, images }, replaced, unknown };
}

/** Each image's size budget (maxSize in bytes, and what exceeding it does). */
export function sizeBudgets(
  catalog: Catalog,
): Map<string, { maxSize: number; onExceed: "fail" | "warn" }> {
  const budgets = new Map<string, { maxSize: number; onExceed: "fail" | "warn" }>();
  for (const [name, image] of Object.entries(catalog.images)) {
    const maxSize = image.maxSize === undefined ? undefined : parseByteSize(image.maxSize);
    if (maxSize !== undefined) budgets.set(name, { maxSize, onExceed: image.overBudget ?? "fail" });
  }
  return budgets;
}

/** The catalog image a `from` names, or undefined when it is an external reference. */
export function catalogParent(catalog: Catalog, from: string): string | undefined {
  return Object.hasOwn(catalog.images, from) ? from : undefined;
}

export function parentMap(catalog: Catalog): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, image] of Object.entries(catalog.images)) {
    const parent = catalogParent(catalog, image.from);
    map.set(name, parent ? [parent] : []);
  }
  return map;
}

function checkParents(catalog: Catalog, report: Report): void {
  const names = Object.keys(catalog.images);
  for (const [name, image] of Object.entries(catalog.images)) {
    if (catalogParent(catalog, image.from)) continue;
    const path = ["images", name, "from"];
    const bare = !/[/:@]/.test(image.from);
    if (bare) {
      const suggestion = didYouMean(image.from, names);
      report(
        path,
        "UNKNOWN_PARENT",
        `"${image.from}" is not an image of this catalog`,
        suggestion
          ? `did you mean "${suggestion}"?`
          : "name a catalog image, or an external image with a tag, e.g. debian:bookworm-slim",
      );
      continue;
    }
    const parsed = parseReference(image.from);
    if (!parsed.ok) {
      report(
        path,
        "INVALID_REFERENCE",
        `"${image.from}" is not a valid image reference: it ${parsed.reason}`,
        "write [registry/]repository[:tag][@sha256:digest]",
      );
    }
  }
  for (const cycle of findCycles(parentMap(catalog))) {
    report(
      ["images", cycle[0] ?? "", "from"],
      "CYCLE",
      `images depend on each other in a cycle: ${cycle.join(" → ")}`,
      "one of them must start from an external image",
    );
  }
}

function checkPlatforms(catalog: Catalog, report: Report): void {
  const platformsOf = (name: string) =>
    catalog.images[name]?.platforms ?? catalog.defaults.platforms;
  for (const [name, image] of Object.entries(catalog.images)) {
    const parent = catalogParent(catalog, image.from);
    if (!parent || !image.platforms) continue;
    const missing = image.platforms.filter((p) => !platformsOf(parent).includes(p));
    if (missing.length > 0) {
      report(
        ["images", name, "platforms"],
        "PLATFORM_MISMATCH",
        `${missing.join(", ")} not built for parent "${parent}"`,
        `add ${missing.join(", ")} to ${parent}'s platforms, or drop it here`,
      );
    }
  }
}

function checkGroups(catalog: Catalog, report: Report): void {
  const images = Object.keys(catalog.images);
  const groups = Object.keys(catalog.groups);
  for (const [group, members] of Object.entries(catalog.groups)) {
    if (Object.hasOwn(catalog.images, group)) {
      report(
        ["groups", group],
        "GROUP_NAME_TAKEN",
        `group "${group}" has the name of an image`,
        "rename the group",
      );
    }
    members.forEach((member, index) => {
      if (Object.hasOwn(catalog.images, member) || Object.hasOwn(catalog.groups, member)) return;
      const suggestion = didYouMean(member, [...images, ...groups]);
      report(
        ["groups", group, index],
        "UNKNOWN_GROUP_MEMBER",
        `"${member}" is neither an image nor a group`,
        suggestion ? `did you mean "${suggestion}"?` : "list images or groups of this catalog",
      );
    });
  }
  const groupGraph = new Map(
    Object.entries(catalog.groups).map(([g, ms]) => [
      g,
      ms.filter((m) => Object.hasOwn(catalog.groups, m)),
    ]),
  );
  for (const cycle of findCycles(groupGraph)) {
    report(["groups", cycle[0] ?? ""], "CYCLE", `groups include each other: ${cycle.join(" → ")}`);
  }
}

function checkRepositories(catalog: Catalog, report: Report): void {
  const owners = new Map<string, string>();
  for (const [name, image] of Object.entries(catalog.images)) {
    const repository = image.repository ?? name;
    const other = owners.get(repository);
    if (other !== undefined) {
      report(
        ["images", name, image.repository ? "repository" : "from"],
        "DUPLICATE_REF",
        `"${name}" would push to repository "${repository}", as "${other}" does`,
        "give one of them another repository",
      );
    } else {
      owners.set(repository, name);
    }
  }
}

function checkRuntime(catalog: Catalog, report: Report): void {
  const runtime = catalog.runtime;
  if (!runtime) return;
  const names = Object.keys(catalog.images);
  const check = (path: PathSegment[], name: string | undefined) => {
    if (name === undefined || Object.hasOwn(catalog.images, name)) return;
    const suggestion = didYouMean(name, names);
    report(
      path,
      "UNKNOWN_IMAGE",
      `"${name}" is not an image of this catalog`,
      suggestion ? `did you mean "${suggestion}"?` : undefined,
    );
  };
  check(["runtime", "session"], runtime.session);
  check(["runtime", "task", "default"], runtime.task.default);
  for (const [provider, name] of Object.entries(runtime.task.providers))
    check(["runtime", "task", "providers", provider], name);
}

/** Rules that span fields: parents, cycles, groups, platforms, repositories, runtime. */
export function checkCatalog(catalog: Catalog, source: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reporter(source, out);
  checkParents(catalog, report);
  checkPlatforms(catalog, report);
  checkGroups(catalog, report);
  checkRepositories(catalog, report);
  checkRuntime(catalog, report);
  return out;
}

/** Files an image names must exist: checked through the given predicate so this stays pure. */
export function checkCatalogFiles(
  catalog: Catalog,
  source: YamlSource,
  exists: (repoRelativePath: string) => "file" | "directory" | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reporter(source, out);
  for (const [name, image] of Object.entries(catalog.images)) {
    if (image.dockerfile && exists(image.dockerfile) !== "file") {
      report(
        ["images", name, "dockerfile"],
        "FILE_NOT_FOUND",
        `Dockerfile "${image.dockerfile}" does not exist`,
        "paths are relative to the catalog's folder",
      );
    }
    if (image.context && exists(image.context) !== "directory") {
      report(
        ["images", name, "context"],
        "FILE_NOT_FOUND",
        `context "${image.context}" is not a directory`,
        "paths are relative to the catalog's folder",
      );
    }
  }
  return out;
}
