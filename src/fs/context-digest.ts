import { createHash } from "node:crypto";
import { type Dirent, existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import dockerignore from "@balena/dockerignore";
import { hashRegularFile, readRegularFile, resolveInside } from "./untrusted.js";

/**
 * The digest of a build context: what BuildKit sends, nothing less, nothing more.
 *
 * - `.dockerignore` is matched with Docker's own semantics (@balena/dockerignore), and an ignored
 *   folder is still walked when an exception (`!dist/keep.txt`) could re-include something in it.
 * - `.git` and `node_modules` count like any folder: BuildKit sends them unless ignored.
 * - Each entry is its path, type and permission bits; files add their content's sha256, symlinks
 *   their target (never followed). FIFOs, sockets and devices add only their type: BuildKit sends
 *   a FIFO as an empty named pipe (checked with `docker buildx build` on a context holding one),
 *   and Hilt never opens them.
 */

type Matcher = (relative: string) => boolean;

// A CommonJS module whose typings declare an ES default export: at run time the default import
// is the factory itself.
const ignore = dockerignore as unknown as typeof dockerignore.default;

/** Docker's matcher for a .dockerignore text. */
export function dockerignoreMatcher(text: string): Matcher {
  const matcher = ignore().add(text.split(/\r?\n/));
  return (relative) => matcher.ignores(relative);
}

/** Exception patterns (`!x`), split in path segments, to know which ignored folders to enter. */
function exceptions(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("!"))
    .map((l) =>
      path.posix
        .normalize(l.slice(1).trim().replace(/^\/+/, ""))
        .split("/")
        .filter((s) => s !== "" && s !== "."),
    );
}

/** True when an exception could match something below the folder `relative`. */
function mayReinclude(relative: string, patterns: readonly string[][]): boolean {
  const parts = relative.split("/");
  return patterns.some((pattern) => {
    for (let i = 0; i < parts.length && i < pattern.length; i++) {
      const segment = pattern[i] as string;
      if (segment === "**") return true;
      if (/[*?[\\]/.test(segment)) continue;
      if (segment !== parts[i]) return false;
    }
    return true;
  });
}

const TYPE_NAMES: [keyof Dirent, string][] = [
  ["isFIFO", "fifo"],
  ["isSocket", "socket"],
  ["isBlockDevice", "block"],
  ["isCharacterDevice", "char"],
];

/** One run's hashing: each folder listed and each file hashed at most once, shared by contexts. */
export class ContextHasher {
  private readonly listings = new Map<string, Dirent[]>();
  private readonly entries = new Map<string, string>();
  private readonly digests = new Map<string, string>();
  /** Files read, for tests and the benchmark. */
  filesHashed = 0;

  /**
   * The context digest of `dir` (a real path the caller has checked), honouring `ignoreText`
   * (default: the context's own .dockerignore).
   */
  digest(dir: string, ignoreText?: string): string {
    const text = ignoreText ?? readIgnoreFile(path.join(dir, ".dockerignore")) ?? "";
    const key = `${dir}\0${text}`;
    const known = this.digests.get(key);
    if (known !== undefined) return known;
    const lines = this.sent(dir, text).map(([rel, item]) => this.entry(dir, rel, item));
    const digest = createHash("sha256").update(lines.sort().join("\n")).digest("hex");
    this.digests.set(key, digest);
    return digest;
  }

  /** The paths BuildKit would send for `dir` under `ignoreText`, sorted. */
  paths(dir: string, ignoreText: string): string[] {
    return this.sent(dir, ignoreText)
      .map(([rel]) => rel)
      .sort();
  }

  private sent(dir: string, text: string): [string, Dirent][] {
    const ignored = dockerignoreMatcher(text);
    const reincluding = exceptions(text);
    const out: [string, Dirent][] = [];
    const walk = (relative: string) => {
      for (const item of this.list(path.join(dir, relative))) {
        const rel = relative === "" ? item.name : `${relative}/${item.name}`;
        const skip = ignored(rel);
        if (item.isDirectory()) {
          if (!skip) out.push([rel, item]);
          if (!skip || mayReinclude(rel, reincluding)) walk(rel);
        } else if (!skip) {
          out.push([rel, item]);
        }
      }
    };
    walk("");
    return out;
  }

  private list(full: string): Dirent[] {
    let items = this.listings.get(full);
    if (!items) {
      items = readdirSync(full, { withFileTypes: true });
      this.listings.set(full, items);
    }
    return items;
  }

  private entry(dir: string, rel: string, item: Dirent): string {
    const full = path.join(dir, rel);
    const known = this.entries.get(full);
    if (known !== undefined) return `${rel}\0${known}`;
    const modeOf = (mode: number) => (mode & 0o7777).toString(8);
    let value: string;
    if (item.isSymbolicLink()) value = `link\0${readlinkSync(full)}`;
    else if (item.isFile()) {
      this.filesHashed++;
      const file = hashRegularFile(full, rel);
      value = `file\0${modeOf(file.mode)}\0${file.sha256}`;
    } else {
      const mode = modeOf(lstatSync(full).mode);
      const type = item.isDirectory()
        ? "dir"
        : TYPE_NAMES.find(([test]) => (item[test] as () => boolean).call(item))?.[1];
      value = `${type ?? "other"}\0${mode}`;
    }
    this.entries.set(full, value);
    return `${rel}\0${value}`;
  }
}

/** An ignore file, read only where its real path stays in its own folder (a link out is refused). */
function readIgnoreFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const real = resolveInside(path.dirname(file), path.basename(file));
  return readRegularFile(real, { display: path.basename(file) }).toString("utf8");
}

/**
 * The ignore text BuildKit applies: `<Dockerfile>.dockerignore` beside the Dockerfile wins over
 * the context's `.dockerignore` (BuildKit's rule for a Dockerfile given with -f).
 */
export function dockerignoreFor(contextDir: string, dockerfile?: string): string {
  const specific = dockerfile ? readIgnoreFile(`${dockerfile}.dockerignore`) : undefined;
  return specific ?? readIgnoreFile(path.join(contextDir, ".dockerignore")) ?? "";
}

/** One context's digest with a fresh hasher (a run shares one ContextHasher instead). */
export function contextDigest(dir: string, ignoreText?: string): string {
  return new ContextHasher().digest(dir, ignoreText);
}
