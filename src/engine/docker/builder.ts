/** Which buildx builder Hilt builds on: pure parsing of `docker buildx ls`, and the choice. */
import { HiltError } from "../../errors.js";

export interface BuilderNode {
  name: string;
  /** running, inactive, stopped, error… as buildx prints it. */
  status: string;
  platforms: string[];
}

export interface BuilderInfo {
  name: string;
  /** docker, docker-container, remote, kubernetes… */
  driver: string;
  /** Marked with `*` by `docker buildx ls`: what `docker buildx build` uses by default. */
  current: boolean;
  nodes: BuilderNode[];
}

/** Where an explicit builder name came from, for messages. */
export type BuilderSource = "--builder" | "HILT_BUILDER" | "pipeline";

export interface BuilderNeeds {
  /** Every platform the run builds. */
  platforms: readonly string[];
  /** A registry or gha layer cache was asked for (the docker driver cannot export one). */
  exportedCache: boolean;
  /** An explicit choice, which wins over everything else. */
  requested?: { name: string; source: BuilderSource };
  /** BUILDX_BUILDER: buildx's own override of the current builder. */
  buildxBuilder?: string;
}

export interface BuilderChoice {
  name: string;
  driver: string;
  /** Platforms the builder's running nodes list. */
  platforms: string[];
  /** Why this one, for the log line. */
  reason: string;
}

/** Splits a line at the header's column starts (buildx prints with a tab writer). */
function columns(line: string, starts: readonly number[]): string[] {
  return starts.map((start, i) => {
    const end = starts[i + 1];
    return line.slice(start, end === undefined ? undefined : end).trim();
  });
}

/** `linux/arm64/v8` is `linux/arm64`; a trailing `*` marks platforms set by hand. */
export function normalizePlatform(platform: string): string {
  const plain = platform.trim().replace(/\*$/, "");
  return plain.replace(/^(linux\/arm64)\/v8$/, "$1");
}

function platformList(text: string): string[] {
  return text
    .split(",")
    .map(normalizePlatform)
    .filter((p) => p.includes("/"));
}

/**
 * Builders and their nodes from `docker buildx ls` (text). Builder rows start in the first
 * column; node rows are indented (` \_ name` in buildx 0.13+, `  name` before). Lines after
 * the table (warnings about builders that cannot be loaded) are ignored.
 */
export function parseBuildxLs(text: string): BuilderInfo[] {
  const lines = text.split("\n");
  const headerIndex = lines.findIndex((l) => /^NAME\/NODE\s/.test(l));
  const header = lines[headerIndex];
  if (header === undefined) return [];
  const names = ["NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS"];
  const present = names.filter((n) => header.includes(n));
  const starts = present.map((n) => header.indexOf(n));
  const at = (cells: string[], name: string) => cells[present.indexOf(name)] ?? "";
  const builders: BuilderInfo[] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    if (line.trim() === "") break;
    const cells = columns(line, starts);
    const first = at(cells, "NAME/NODE");
    if (!/^\s/.test(line)) {
      const current = first.endsWith("*");
      const name = current ? first.slice(0, -1).trim() : first;
      const driver = at(cells, "DRIVER/ENDPOINT");
      builders.push({ name, driver, current, nodes: [] });
      continue;
    }
    const builder = builders.at(-1);
    if (!builder) continue;
    builder.nodes.push({
      name: first.replace(/^\\_\s*/, ""),
      status: at(cells, "STATUS"),
      platforms: platformList(at(cells, "PLATFORMS")),
    });
  }
  return builders;
}

function runningPlatforms(builder: BuilderInfo): string[] {
  const running = builder.nodes.filter((n) => n.status === "running");
  return [...new Set(running.flatMap((n) => n.platforms))];
}

function missingOn(builder: BuilderInfo, platforms: readonly string[]): string[] {
  const offered = new Set(runningPlatforms(builder));
  return platforms.map(normalizePlatform).filter((p) => !offered.has(p));
}

/** The docker driver exports one platform into the image store, and no registry cache. */
function dockerDriverSuffices(needs: BuilderNeeds): boolean {
  return new Set(needs.platforms.map(normalizePlatform)).size <= 1 && !needs.exportedCache;
}

function wants(needs: BuilderNeeds): string {
  const parts: string[] = [];
  if (needs.platforms.length > 1) parts.push(needs.platforms.join(" + "));
  if (needs.exportedCache) parts.push("an exported layer cache");
  return parts.join(" and ") || needs.platforms.join(", ");
}

const CREATE_HINT =
  "create one, e.g. `docker buildx create --name hilt --driver remote unix:///run/buildkit/buildkitd.sock` " +
  "(a running buildkitd) or `docker buildx create --name hilt --driver docker-container`, " +
  "then pass --builder hilt (or set HILT_BUILDER)";

/**
 * The builder a run uses. An explicit name wins; else the current builder when it can do what
 * is asked; else a running builder that is not on the docker driver and lists every platform.
 * Refuses, before anything is built, when no builder can.
 */
export function chooseBuilder(
  builders: readonly BuilderInfo[],
  needs: BuilderNeeds,
): BuilderChoice {
  if (needs.requested) {
    const { name, source } = needs.requested;
    const builder = builders.find((b) => b.name === name);
    if (!builder) {
      const known = builders.map((b) => b.name).join(", ") || "none";
      throw new HiltError(
        "BUILDER_NOT_FOUND",
        `${source} names builder "${name}", which buildx does not know`,
        {
          hint: `builders here: ${known}; list them with \`docker buildx ls\`, or ${CREATE_HINT}`,
        },
      );
    }
    const running = builder.nodes.some((n) => n.status === "running");
    // An inactive docker-container builder starts on its first build; refuse only what a
    // running builder says it cannot build.
    const missing = running ? missingOn(builder, needs.platforms) : [];
    if (missing.length > 0)
      throw new HiltError(
        "PLATFORM_UNSUPPORTED",
        `builder ${name} (from ${source}) cannot build ${missing.join(", ")}: it lists ${runningPlatforms(builder).join(", ") || "no platform"}`,
        { hint: "register QEMU binfmt handlers for foreign platforms, or choose another builder" },
      );
    if (builder.driver === "docker" && !dockerDriverSuffices(needs))
      throw new HiltError(
        "PLATFORM_UNSUPPORTED",
        `builder ${name} (from ${source}) uses the docker driver, which cannot export ${wants(needs)}`,
        { hint: `use a builder with the remote or docker-container driver: ${CREATE_HINT}` },
      );
    return {
      name,
      driver: builder.driver,
      platforms: runningPlatforms(builder),
      reason: `named by ${source}`,
    };
  }

  const current =
    builders.find((b) => b.name === needs.buildxBuilder) ?? builders.find((b) => b.current);
  const canDo = (b: BuilderInfo) =>
    b.nodes.some((n) => n.status === "running") &&
    missingOn(b, needs.platforms).length === 0 &&
    (b.driver !== "docker" || dockerDriverSuffices(needs));
  if (current && canDo(current))
    return {
      name: current.name,
      driver: current.driver,
      platforms: runningPlatforms(current),
      reason: "the current builder",
    };
  const other = builders.find((b) => b !== current && b.driver !== "docker" && canDo(b));
  if (other)
    return {
      name: other.name,
      driver: other.driver,
      platforms: runningPlatforms(other),
      reason: `${wants(needs)} need more than ${current ? `the current builder ${current.name} (${current.driver} driver)` : "the current builder"}`,
    };
  throw new HiltError(
    "PLATFORM_UNSUPPORTED",
    `no running buildx builder can build ${wants(needs)}` +
      (current ? ` (the current builder ${current.name} uses the ${current.driver} driver)` : ""),
    {
      hint:
        `${CREATE_HINT}` +
        (needs.platforms.length > 1 ? "; foreign platforms also need QEMU binfmt handlers" : "") +
        (needs.exportedCache ? "; or set `cache: inline` (or none) in the pipeline" : ""),
    },
  );
}

/** How long `docker buildx ls` may take: it contacts every builder, and a dead remote hangs. */
export const BUILDX_LS_TIMEOUT_MS = 20_000;

/**
 * Runs `docker buildx ls` through the process seam and chooses. A listing that does not end in
 * time is stopped (the signal ends its process group) and is an engine error, not a hang.
 */
export async function discoverBuilder(
  run: (
    args: string[],
    extra: { signal: AbortSignal },
  ) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>,
  needs: BuilderNeeds,
  timeoutMs = BUILDX_LS_TIMEOUT_MS,
): Promise<BuilderChoice | undefined> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const listing = run(["buildx", "ls"], { signal: controller.signal });
  const listed = await Promise.race([listing, expired]).finally(() => clearTimeout(timer));
  if (listed === "timeout") {
    controller.abort();
    void listing.catch(() => {});
    throw new HiltError(
      "ENGINE_UNAVAILABLE",
      `docker buildx ls did not answer within ${Math.round(timeoutMs / 1000)} s`,
      {
        hint: "a builder it lists may be unreachable (see `docker buildx ls`); remove it with `docker buildx rm NAME`, or name one with --builder",
      },
    );
  }
  const builders = listed.exitCode === 0 ? parseBuildxLs(listed.stdout) : [];
  // buildx could not list its builders: the current one is all there is, if it is enough.
  const trivial = !needs.requested && !needs.exportedCache && new Set(needs.platforms).size <= 1;
  if (builders.length === 0 && trivial) return undefined;
  return chooseBuilder(builders, needs);
}
