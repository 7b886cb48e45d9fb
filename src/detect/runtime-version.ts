import { parsePackageJson } from "./node.js";
import { joinPath, type RepoView } from "./repo-view.js";

/**
 * Which runtime version a repository asks for, mapped to a base image version that exists.
 * Pure: reads only through the RepoView. A request Hilt cannot honour exactly (Node 16 has no
 * bookworm image) gives the nearest version that exists, with a note saying so.
 */
export interface RuntimeChoice {
  /** "20" for Node, "3.11" for Python, "1.22" for Go. */
  version: string;
  /** Where the request came from (`package.json#engines.node`), or "default". */
  source: string;
  /** Set when the request could not be honoured exactly. */
  note?: string;
}

/** Node majors with a `node:<major>-bookworm-slim` image. */
export const NODE_MAJORS = [18, 20, 22, 24] as const;
export const NODE_DEFAULT = 20;
/** Python minors (3.x) with a `python:3.x-slim-bookworm` image. */
export const PYTHON_MINORS = [9, 10, 11, 12, 13] as const;
export const PYTHON_DEFAULT = 12;

type Triple = [number, number, number];
const INF = Number.MAX_SAFE_INTEGER;
const num = (v: Triple) => v[0] * 1e6 + v[1] * 1e3 + v[2];

/** "1.2" → parts [1, 2]; wildcards end the list ("1.x" → [1]); undefined when not a version. */
function parts(text: string): number[] | undefined {
  const match = /^v?=?\s*(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+][\w.-]*)?$/.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const out: number[] = [];
  for (const p of match.slice(1, 4)) {
    if (p === undefined || /[xX*]/.test(p)) break;
    out.push(Number(p));
  }
  return out;
}

const fill = (p: number[]): Triple => [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
/** The first version after every version that `p` names ("1.2" → 1.3.0, "1.2.3" → 1.2.4). */
function bump(p: number[]): number {
  if (p.length === 0) return INF;
  const q = [...p];
  q[q.length - 1] = (q[q.length - 1] ?? 0) + 1;
  return num(fill(q));
}

/** One npm comparator ("^18.2", ">=16", "20.x") as a half-open interval [lo, hi). */
function comparator(text: string): [number, number] | undefined {
  const match = /^(\^|~>?|>=|<=|>|<|=)?\s*(.*)$/.exec(text);
  const op = match?.[1] ?? "";
  const p = parts(match?.[2] ?? "");
  if (!p) return undefined;
  const lo = num(fill(p));
  switch (op) {
    case ">=":
      return [lo, INF];
    case ">":
      return [p.length < 3 ? bump(p) : lo + 1, INF];
    case "<":
      return [0, lo];
    case "<=":
      return [0, p.length < 3 ? bump(p) : lo + 1];
    case "^": {
      const at = p.findIndex((v) => v !== 0);
      return [lo, bump(p.slice(0, at < 0 ? p.length : at + 1))];
    }
    case "~":
    case "~>":
      return [lo, bump(p.slice(0, Math.min(p.length, 2)))];
    default:
      return [lo, bump(p)];
  }
}

/** Whether an npm semver range allows some version of `major` (undefined: not a range). */
export function nodeRangeAllows(range: string, major: number): boolean | undefined {
  const from = major * 1e6;
  const to = (major + 1) * 1e6;
  let understood = false;
  for (const alternative of range.split("||")) {
    const text = alternative.trim().replace(/\s+-\s+/, " - ");
    let lo = 0;
    let hi = INF;
    let ok = true;
    const hyphen = /^(\S+) - (\S+)$/.exec(text);
    const comparators = hyphen
      ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`]
      : text === "" || text === "*"
        ? [">=0"]
        : text.replace(/(>=|<=|>|<|=|\^|~>?)\s+/g, "$1").split(/\s+/);
    for (const c of comparators) {
      const interval = comparator(c);
      if (!interval) {
        ok = false;
        break;
      }
      lo = Math.max(lo, interval[0]);
      hi = Math.min(hi, interval[1]);
    }
    if (!ok) continue;
    understood = true;
    if (lo < hi && lo < to && hi > from) return true;
  }
  return understood ? false : undefined;
}

const NODE_CODENAMES: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

/** The major a version file pins (".nvmrc": "18.17.1", "v20", "lts/iron"), if it pins one. */
function pinnedMajor(text: string): number | undefined {
  const value = text.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  const codename = /^lts\/(\w+)$/.exec(value)?.[1];
  if (codename) return NODE_CODENAMES[codename];
  const major = /^v?(\d+)(?:\.|$)/.exec(value)?.[1];
  return major === undefined ? undefined : Number(major);
}

/** The nearest supported version to `wanted` (the lowest above it, else the highest). */
function nearest(supported: readonly number[], wanted: number): number {
  return supported.find((v) => v >= wanted) ?? (supported[supported.length - 1] as number);
}

/** From the versions a range allows: the default if allowed, else the lowest above it, else the highest. */
function preferred(allowed: readonly number[], fallback: number): number | undefined {
  if (allowed.includes(fallback)) return fallback;
  return allowed.find((v) => v > fallback) ?? allowed[allowed.length - 1];
}

/** The folder and its ancestors, up to the repository root. */
function upwards(dir: string): string[] {
  const out = [dir];
  for (let d = dir; d !== "." && d !== ""; ) {
    const slash = d.lastIndexOf("/");
    d = slash < 0 ? "." : d.slice(0, slash);
    out.push(d);
  }
  return out;
}

/** First of `names` found in `dir` or above it, with its trimmed text. */
function nearestFile(
  view: RepoView,
  dir: string,
  names: readonly string[],
): { file: string; text: string } | undefined {
  for (const folder of upwards(dir))
    for (const name of names) {
      const file = joinPath(folder, name);
      const text = view.read(file)?.trim();
      if (text) return { file, text };
    }
  return undefined;
}

/**
 * The Node major for a service folder: a pin in .nvmrc/.node-version (nearest folder up) when
 * `engines.node` allows it, else the version `engines.node` prefers (the default when allowed).
 */
export function nodeRuntime(view: RepoView, dir: string): RuntimeChoice {
  const pkgFile = joinPath(dir, "package.json");
  const engines = parsePackageJson(view.read(pkgFile))?.engines?.node?.trim();
  const pin = nearestFile(view, dir, [".nvmrc", ".node-version"]);
  const pinned = pin ? pinnedMajor(pin.text) : undefined;
  const enginesSource = `${pkgFile}#engines.node`;
  if (pin && pinned !== undefined && (!engines || nodeRangeAllows(engines, pinned) !== false)) {
    if ((NODE_MAJORS as readonly number[]).includes(pinned))
      return { version: String(pinned), source: pin.file };
    const version = nearest(NODE_MAJORS, pinned);
    return {
      version: String(version),
      source: pin.file,
      note: `Node ${pinned} has no bookworm image: Node ${version}`,
    };
  }
  if (engines) {
    const allowed = NODE_MAJORS.filter((m) => nodeRangeAllows(engines, m) === true);
    const chosen = preferred(allowed, NODE_DEFAULT);
    if (chosen !== undefined) return { version: String(chosen), source: enginesSource };
    const lowest = /(\d+)/.exec(engines)?.[1];
    if (lowest !== undefined && nodeRangeAllows(engines, Number(lowest)) !== undefined) {
      const version = nearest(NODE_MAJORS, Number(lowest));
      return {
        version: String(version),
        source: enginesSource,
        note: `no supported Node major satisfies ${JSON.stringify(engines)}: Node ${version}`,
      };
    }
  }
  return { version: String(NODE_DEFAULT), source: "default" };
}

/** The major of a dependency's version range ("^4.0.3" → 4), if it names one. */
function rangeMajor(range: string | undefined): number | undefined {
  const major = range ? /^\s*[\^~>=v]*\s*(\d+)/.exec(range)?.[1] : undefined;
  return major === undefined ? undefined : Number(major);
}

/**
 * Webpack 4 (alone or under react-scripts < 5) hashes with MD4, which OpenSSL 3 in Node ≥ 17
 * refuses (ERR_OSSL_EVP_UNSUPPORTED) unless the legacy provider is on. Returns why, if needed.
 */
export function legacyOpenssl(view: RepoView, dir: string, nodeMajor: number): string | undefined {
  if (nodeMajor < 17) return undefined;
  const pkgFile = joinPath(dir, "package.json");
  const pkg = parsePackageJson(view.read(pkgFile));
  const deps = { ...pkg?.dependencies, ...pkg?.devDependencies };
  const scripts = rangeMajor(deps["react-scripts"]);
  if (scripts !== undefined && scripts < 5) return `react-scripts ${deps["react-scripts"]}`;
  const webpack = rangeMajor(deps.webpack);
  if (webpack !== undefined && webpack < 5) return `webpack ${deps.webpack}`;
  return undefined;
}

type Version = number[];

function compare(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** One PEP 440 (or Poetry) clause checked against a concrete version. */
function pythonClause(clause: string, v: Version): boolean | undefined {
  const match = /^(===|==|!=|~=|<=|>=|<|>|\^|~)?\s*(\d+(?:\.\d+)*)(\.\*)?$/.exec(clause.trim());
  if (!match) return undefined;
  const op = match[1] ?? "==";
  const want = (match[2] as string).split(".").map(Number);
  const c = compare(v, want);
  const prefix = (n: number) => compare(v.slice(0, n), want.slice(0, n)) === 0;
  if (match[3]) return op === "!=" ? !prefix(want.length) : prefix(want.length);
  switch (op) {
    case "==":
    case "===":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<=":
      return c <= 0;
    case ">=":
      return c >= 0;
    case "<":
      return c < 0;
    case ">":
      return c > 0;
    case "~=":
      return c >= 0 && prefix(Math.max(1, want.length - 1));
    case "^":
      return c >= 0 && prefix(1);
    default:
      return c >= 0 && prefix(Math.min(2, want.length));
  }
}

/** Whether a requires-python style specifier allows some 3.`minor`.x (undefined: not one). */
export function pythonSpecAllows(spec: string, minor: number): boolean | undefined {
  const clauses = spec.split(",").filter((c) => c.trim() !== "" && c.trim() !== "*");
  let understood = true;
  for (let patch = 0; patch <= 30; patch++) {
    const results = clauses.map((c) => pythonClause(c, [3, minor, patch]));
    if (results.some((r) => r === undefined)) understood = false;
    else if (results.every((r) => r === true)) return true;
  }
  return understood ? false : undefined;
}

/** A Python pin ("3.11.4", "python-3.10", "3.9") as its minor; undefined for others (pypy). */
function pinnedMinor(text: string): number | undefined {
  const minor = /^(?:python-?)?3\.(\d+)/i.exec(text.trim().split(/\s+/)[0] ?? "")?.[1];
  return minor === undefined ? undefined : Number(minor);
}

function pythonPin(minor: number, source: string): RuntimeChoice {
  const version = nearest(PYTHON_MINORS, minor);
  return version === minor
    ? { version: `3.${minor}`, source }
    : {
        version: `3.${version}`,
        source,
        note: `Python 3.${minor} has no bookworm image: 3.${version}`,
      };
}

/**
 * The Python 3.x for a service folder: .python-version or runtime.txt (nearest folder up),
 * Pipfile's python_version, then pyproject's requires-python (or Poetry's python dependency).
 */
export function pythonRuntime(view: RepoView, dir: string): RuntimeChoice {
  const pin = nearestFile(view, dir, [".python-version", "runtime.txt"]);
  const pinned = pin ? pinnedMinor(pin.text) : undefined;
  if (pin && pinned !== undefined) return pythonPin(pinned, pin.file);
  const pipfile = joinPath(dir, "Pipfile");
  const pipVersion = /^\s*python_(?:full_)?version\s*=\s*["']([\d.]+)["']/m.exec(
    view.read(pipfile) ?? "",
  )?.[1];
  const pipMinor = pipVersion ? pinnedMinor(pipVersion) : undefined;
  if (pipMinor !== undefined) return pythonPin(pipMinor, `${pipfile}#requires.python_version`);
  const pyprojectFile = joinPath(dir, "pyproject.toml");
  const pyproject = view.read(pyprojectFile) ?? "";
  const requires = /^\s*requires-python\s*=\s*["']([^"'\n]+)["']/m.exec(pyproject)?.[1];
  const poetry = /^\s*python\s*=\s*["']([^"'\n]+)["']/m.exec(
    /\[tool\.poetry\.dependencies\]([^[]*)/.exec(pyproject)?.[1] ?? "",
  )?.[1];
  const spec = requires ?? poetry;
  if (spec) {
    const source = `${pyprojectFile}#${requires ? "requires-python" : "tool.poetry.dependencies.python"}`;
    const allowed = PYTHON_MINORS.filter((m) => pythonSpecAllows(spec, m) === true);
    const chosen = allowed.includes(PYTHON_DEFAULT) ? PYTHON_DEFAULT : allowed[allowed.length - 1];
    if (chosen !== undefined) return { version: `3.${chosen}`, source };
    const lowest = pinnedMinor(/3\.\d+/.exec(spec)?.[0] ?? "");
    if (lowest !== undefined && pythonSpecAllows(spec, lowest) !== undefined)
      return {
        ...pythonPin(lowest, source),
        note: `no supported Python satisfies ${JSON.stringify(spec)}`,
      };
  }
  return { version: `3.${PYTHON_DEFAULT}`, source: "default" };
}

/** Go builder tags that exist as `golang:<tag>-bookworm`; older requests get GO_DEFAULT. */
export const GO_OLDEST = [1, 19] as const;
export const GO_NEWEST = [1, 24] as const;
export const GO_DEFAULT = "1.24";

export interface GoChoice extends RuntimeChoice {
  /** go.mod asks for a newer Go than the builder: let the go command fetch that toolchain. */
  toolchainSwitch: boolean;
  /** go.mod predates module graph pruning (go < 1.17): indirect requirements are not listed. */
  legacyModule: boolean;
}

/**
 * The golang builder for a go.mod: its `go` line when a bookworm tag exists for it; an older
 * line (golang:1.15-bookworm never existed) builds on GO_DEFAULT; a newer `go` or `toolchain`
 * line builds on GO_NEWEST, which then downloads the toolchain asked for (GOTOOLCHAIN).
 */
export function goRuntime(goMod: string, source: string): GoChoice {
  const go = /^go\s+(\d+)\.(\d+)/m.exec(goMod);
  const toolchain = /^toolchain\s+go(\d+)\.(\d+)/m.exec(goMod);
  const wanted = (m: RegExpExecArray | null): [number, number] | undefined =>
    m ? [Number(m[1]), Number(m[2])] : undefined;
  const goLine = wanted(go);
  const toolLine = wanted(toolchain);
  const newer = (v: [number, number] | undefined) =>
    v !== undefined && compare(v, [...GO_NEWEST]) > 0;
  const legacyModule = goLine !== undefined && compare(goLine, [1, 17]) < 0;
  if (!goLine)
    return { version: GO_DEFAULT, source: "default", toolchainSwitch: false, legacyModule };
  if (newer(goLine) || newer(toolLine)) {
    return {
      version: GO_NEWEST.join("."),
      source: `${source}#${newer(toolLine) ? "toolchain" : "go"}`,
      toolchainSwitch: true,
      legacyModule,
    };
  }
  if (compare(goLine, [...GO_OLDEST]) < 0) {
    return {
      version: GO_DEFAULT,
      source: `${source}#go`,
      note: `no golang:${goLine.join(".")}-bookworm image: Go ${GO_DEFAULT} builds it`,
      toolchainSwitch: false,
      legacyModule,
    };
  }
  return {
    version: goLine.join("."),
    source: `${source}#go`,
    toolchainSwitch: false,
    legacyModule,
  };
}
