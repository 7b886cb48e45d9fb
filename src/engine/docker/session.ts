/**
 * One BuildKit session for many images: the `docker buildx bake` file of the images a run has to
 * build, the digests bake reports, and per-image times read from its plain progress. Pure.
 */
import type { PlanNode } from "../../plan/plan-schema.js";
import { PARENT_ARG } from "../../render/dockerfile.js";
import { SECRET_MOUNTS, type SecretName } from "../../render/secret-mounts.js";

/** One image of a session, with its files already written. */
export interface SessionImage {
  node: PlanNode;
  dockerfile: string;
  context: string;
  /** What it starts from when its parent is not built in this session (a digest or the base). */
  baseRef: string;
  /** Its catalog parent, when that parent is built in this session too. */
  parentInSession?: string;
  tags: readonly string[];
  secrets: Readonly<Partial<Record<SecretName, string | undefined>>>;
  /** --cache-from / --cache-to flags as `docker buildx build` takes them (cache.ts). */
  cache: readonly string[];
}

export interface SessionOptions {
  push: boolean;
  noCache: boolean;
  sourceDateEpoch: string;
  ociMediaTypes: boolean;
}

interface SessionTarget {
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  contexts?: Record<string, string>;
  labels: Record<string, string>;
  tags: string[];
  platforms: string[];
  target?: string;
  secret?: string[];
  "cache-from"?: string[];
  "cache-to"?: string[];
  output: string[];
  attest: string[];
  "no-cache"?: boolean;
}

export interface SessionBakeFile {
  group: { default: { targets: string[] } };
  target: Record<string, SessionTarget>;
}

/**
 * Bake target names for image names: bake allows letters, digits, `-` and `_`; a name that
 * changes (or collides) gets a numbered one. The map goes image → target.
 */
export function sessionTargetNames(names: readonly string[]): Map<string, string> {
  const taken = new Set<string>();
  const result = new Map<string, string>();
  for (const [index, name] of names.entries()) {
    let target = name.replace(/[^A-Za-z0-9_-]/g, "_");
    if (taken.has(target)) target = `${target}-${index}`;
    taken.add(target);
    result.set(name, target);
  }
  return result;
}

/** The named context a child's PARENT_IMAGE points at, for a parent target of the session. */
export function parentContextName(parentTarget: string): string {
  return `hilt-parent-${parentTarget}`;
}

/** Bake reads its file as HCL templates: `${` and `%{` stay literal only when doubled. */
function literal(text: string): string {
  return text.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

function literals(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [literal(k), literal(v)]));
}

/** `["--cache-from", "type=…", "--cache-to", "type=…"]` as bake's two lists. */
function cacheLists(flags: readonly string[]): Pick<SessionTarget, "cache-from" | "cache-to"> {
  const from: string[] = [];
  const to: string[] = [];
  for (let i = 0; i + 1 < flags.length; i += 2) {
    const value = flags[i + 1] as string;
    if (flags[i] === "--cache-from") from.push(value);
    else if (flags[i] === "--cache-to") to.push(value);
  }
  return {
    ...(from.length > 0 ? { "cache-from": from } : {}),
    ...(to.length > 0 ? { "cache-to": to } : {}),
  };
}

/**
 * The bake file of a session. A child whose parent is in the session reads it through a named
 * context (`target:PARENT`): BuildKit hands it the parent's result as soon as it is solved, with
 * no registry round-trip. Only the images' immutable tags are pushed (aliases move after the
 * whole run succeeded); no provenance (it records build times, so no two digests would match).
 */
export function sessionBakeFile(
  images: readonly SessionImage[],
  options: SessionOptions,
): SessionBakeFile {
  const names = sessionTargetNames(images.map((i) => i.node.name));
  const target: Record<string, SessionTarget> = {};
  for (const image of images) {
    const { node } = image;
    const dockerfile = node.build.type === "dockerfile" ? node.build : undefined;
    const parentTarget = image.parentInSession ? names.get(image.parentInSession) : undefined;
    const parentRef = parentTarget ? parentContextName(parentTarget) : image.baseRef;
    const contexts: Record<string, string> = {
      ...(parentTarget ? { [parentRef]: `target:${parentTarget}` } : {}),
      ...Object.fromEntries(
        Object.entries(dockerfile?.baseContexts ?? {}).map(([from, replacement]) => [
          from,
          `docker-image://${replacement}`,
        ]),
      ),
    };
    const secret = Object.entries(image.secrets).flatMap(([name, file]) =>
      file ? [`id=${SECRET_MOUNTS[name as SecretName].id},src=${file}`] : [],
    );
    const media = options.ociMediaTypes ? ",oci-mediatypes=true" : "";
    target[names.get(node.name) as string] = {
      context: literal(image.context),
      dockerfile: literal(image.dockerfile),
      args: literals({
        ...(dockerfile?.buildArgs ?? {}),
        [PARENT_ARG]: parentRef,
        SOURCE_DATE_EPOCH: options.sourceDateEpoch,
      }),
      ...(Object.keys(contexts).length > 0 ? { contexts: literals(contexts) } : {}),
      labels: literals(node.labels),
      tags: image.tags.map(literal),
      platforms: [...node.platforms],
      ...(dockerfile?.target ? { target: literal(dockerfile.target) } : {}),
      ...(secret.length > 0 ? { secret: secret.map(literal) } : {}),
      ...cacheLists(image.cache.map(literal)),
      output: [`type=image,push=${options.push},rewrite-timestamp=true${media}`],
      attest: ["type=provenance,disabled=true"],
      ...(options.noCache ? { "no-cache": true } : {}),
    };
  }
  return { group: { default: { targets: [...names.values()] } }, target };
}

/** Digests of each target from bake's --metadata-file, by image name. */
export function parseSessionMetadata(
  text: string,
  targets: ReadonlyMap<string, string>,
): Map<string, { manifestDigest?: string; configDigest?: string }> {
  const data = JSON.parse(text) as Record<string, unknown>;
  const result = new Map<string, { manifestDigest?: string; configDigest?: string }>();
  for (const [image, target] of targets) {
    const entry = data[target];
    if (!entry || typeof entry !== "object") continue;
    const record = entry as Record<string, unknown>;
    const manifest = record["containerimage.digest"];
    const config = record["containerimage.config.digest"];
    result.set(image, {
      ...(typeof manifest === "string" ? { manifestDigest: manifest } : {}),
      ...(typeof config === "string" ? { configDigest: config } : {}),
    });
  }
  return result;
}

const VERTEX = /^#(\d+) \[([A-Za-z0-9_-]+)[ \]]/;
const DONE = /^#(\d+) (?:DONE|CACHED)\b/;
const EXPORT = /^#\d+ \[[A-Za-z0-9_-]+\] exporting to /;
const PUSH = /^#\d+ \[[A-Za-z0-9_-]+\] pushing /;

/**
 * Per-target times from bake's plain progress, fed as it arrives: bake prefixes each step with
 * its target (`#12 [leaf-1 2/2] RUN …`, `#14 [leaf-1] exporting to image`). A target is finished
 * when its last export step is done: `exporting to image` (which pushes, on BuildKit's own
 * builders), or the `pushing … with docker` step the docker driver runs after it.
 */
export class SessionProgress {
  private readonly vertexTarget = new Map<string, string>();
  private readonly finalVertices = new Set<string>();
  private readonly exported = new Map<string, number>();
  private readonly lastDone = new Map<string, number>();
  private pending = "";

  constructor(
    private readonly options: {
      /** The docker driver pushes in a step of its own, after the export. */
      pushStep: boolean;
      onExported?: (target: string, at: number) => void;
    },
  ) {}

  feed(chunk: string, at: number): void {
    const lines = (this.pending + chunk).split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.line(line, at);
  }

  private line(line: string, at: number): void {
    const vertex = VERTEX.exec(line);
    if (vertex?.[1] && vertex[2]) {
      if (!this.vertexTarget.has(vertex[1])) this.vertexTarget.set(vertex[1], vertex[2]);
      if ((this.options.pushStep ? PUSH : EXPORT).test(line)) this.finalVertices.add(vertex[1]);
      return;
    }
    const done = DONE.exec(line);
    const target = done?.[1] ? this.vertexTarget.get(done[1]) : undefined;
    if (!done?.[1] || !target) return;
    this.lastDone.set(target, at);
    if (this.finalVertices.has(done[1]) && !this.exported.has(target)) {
      this.exported.set(target, at);
      this.options.onExported?.(target, at);
    }
  }

  /** Targets whose result exists (exported, pushed), so far. */
  exportedTargets(): string[] {
    return [...this.exported.keys()];
  }

  /** When the target was finished (exported, pushed), or its last step seen done. */
  finishedAt(target: string): number | undefined {
    return this.exported.get(target) ?? this.lastDone.get(target);
  }
}

/**
 * One target's part of bake's plain log, as `docker buildx build` would have printed it (the
 * target's prefix taken off the step names), so per-image readers (cache use) work on it. A
 * parent's steps are part of its children's builds: bake prints such a step under each target
 * that reports it (`#12 [mid …] RUN …`, later `#12 [base …] RUN …`). With `parent`, a step goes
 * to the topmost of those targets, the image whose Dockerfile holds it.
 */
export function targetLog(
  log: string,
  target: string,
  parent?: (target: string) => string | undefined,
  /** The target's Dockerfile: a step printed under one target only may still be an ancestor's. */
  dockerfile?: (target: string) => string | undefined,
): string {
  const lines = log.split("\n");
  const printedUnder = new Map<string, string[]>();
  for (const line of lines) {
    const vertex = VERTEX.exec(line);
    if (!vertex?.[1] || !vertex[2]) continue;
    const under = printedUnder.get(vertex[1]) ?? [];
    if (!under.includes(vertex[2])) under.push(vertex[2]);
    printedUnder.set(vertex[1], under);
  }
  const ancestorIn = (t: string, set: readonly string[]): boolean => {
    for (let p = parent?.(t); p; p = parent?.(p)) if (set.includes(p)) return true;
    return false;
  };
  const steps = new Map<string, string>();
  for (const line of lines) {
    const step = /^#(\d+) \[[A-Za-z0-9_-]+ [^\]]*\b\d+\/\d+\] (.*)$/.exec(line);
    if (step?.[1] && step[2] && !steps.has(step[1])) steps.set(step[1], step[2]);
  }
  const holds = (t: string, step: string) =>
    dockerfileSteps(dockerfile?.(t)).some((r) => r.test(step));
  const own = new Set<string>();
  for (const [id, under] of printedUnder) {
    let owner = parent ? under.find((t) => !ancestorIn(t, under)) : under[0];
    const step = steps.get(id);
    if (owner && step && dockerfile && !holds(owner, step))
      for (let p = parent?.(owner); p; p = parent?.(p))
        if (holds(p, step)) {
          owner = p;
          break;
        }
    if (owner === target) own.add(id);
  }
  const prefixed = /^(#\d+) \[[A-Za-z0-9_-]+(?:\] | )/;
  return lines
    .filter((line) => own.has(/^#(\d+) /.exec(line)?.[1] ?? ""))
    .map((line) =>
      line.replace(prefixed, (match: string, id: string) =>
        match.endsWith("] ") ? `${id} ` : `${id} [`,
      ),
    )
    .join("\n");
}

/**
 * A Dockerfile's steps as patterns of the names BuildKit gives them: continuations joined,
 * whitespace loose, and `$VAR`/`${VAR}` matching anything (BuildKit shows their values).
 */
function dockerfileSteps(text: string | undefined): RegExp[] {
  if (!text) return [];
  return text
    .replace(/\\\r?\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^(RUN|COPY|ADD|WORKDIR) /i.test(line))
    .map((line) => {
      const parts = line.split(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/).map((part) =>
        part
          .trim()
          .split(/\s+/)
          .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join("\\s+"),
      );
      return new RegExp(`^${parts.join(".*")}\\s*$`);
    });
}

/** `pushing manifest for REF@sha256:…` lines (BuildKit's own builders): ref → manifest digest. */
export function pushedManifests(log: string): Map<string, string> {
  const pushed = new Map<string, string>();
  for (const match of log.matchAll(/^#\d+ pushing manifest for (\S+)@(sha256:[0-9a-f]{64})/gm))
    if (match[1] && match[2]) pushed.set(match[1], match[2]);
  return pushed;
}
