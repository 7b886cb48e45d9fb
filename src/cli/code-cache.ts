import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

/**
 * Runs the CommonJS CLI bundle with a V8 code cache, so that a start deserializes the bytecode
 * of what it ran last time instead of parsing and compiling it again (Node 20 has no
 * module.enableCompileCache). The cache lives in the user's cache folder, one file per command;
 * a file that does not match the bundle and this Node byte for byte, or that fails its checksum,
 * is ignored (and rewritten after a successful run), so a stale or damaged cache can cost time
 * but never change what runs. Self-contained (node: imports only): it is bundled on its own.
 */

const MAGIC = Buffer.from("HILTV8C1");
const CHECKSUM_BYTES = 32;
/** Far above a real cache (a few MB): anything larger is not ours. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
/** Another version's caches are removed once they have not been written for this long. */
const STALE_MS = 30 * 24 * 60 * 60 * 1000;
const CACHE_FILE = /^hilt-([0-9a-f]{24})-([a-z][a-z-]*)\.v8cache$/;

export type CacheStatus = "accepted" | "rejected" | "absent" | "off";

export interface LoadedBundle {
  exports: Record<string, unknown>;
  /** What became of the cache file on this start. */
  status: CacheStatus;
  /** Writes the code compiled so far to the cache, when it had none that V8 accepted. */
  save(): void;
}

export interface CacheOptions {
  /** The cache folder, or undefined for no cache. */
  dir: string | undefined;
  /** Which command's cache: each holds the code its command ran. */
  command: string;
}

/**
 * The user's cache folder for Hilt, or undefined when there is none to use: switched off with
 * HILT_CODE_CACHE=0, or a folder at or under the working directory (a cache is never written
 * into the repository Hilt runs in).
 */
export function codeCacheDir(options: {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
  cwd: string;
}): string | undefined {
  const { env, platform, home, cwd } = options;
  if (env.HILT_CODE_CACHE === "0" || env.HILT_CODE_CACHE === "off") return undefined;
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : platform === "win32"
        ? env.LOCALAPPDATA
        : platform === "darwin"
          ? home && path.join(home, "Library", "Caches")
          : home && path.join(home, ".cache");
  if (!base || !path.isAbsolute(base)) return undefined;
  const dir = path.join(base, "hilt");
  const rel = path.relative(path.resolve(cwd), dir);
  if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) return undefined;
  return dir;
}

/** The command a cache is kept for: the first word that is not an option. */
export function cacheCommand(argv: readonly string[]): string {
  const word = argv.slice(2).find((a) => !a.startsWith("-"));
  return word && /^[a-z][a-z-]{0,31}$/.test(word) ? word : "cli";
}

/** A folder only this user can write to (a shared one could hand us someone else's code). */
function privateDir(dir: string): boolean {
  try {
    const stat = statSync(dir);
    if (!stat.isDirectory()) return false;
    if (process.platform === "win32" || typeof process.getuid !== "function") return true;
    return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function checksum(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/** The cache's payload when the file is ours and whole, else undefined. */
function readCache(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_CACHE_BYTES) return undefined;
    const data = Buffer.allocUnsafe(stat.size);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, read);
      if (n === 0) return undefined;
      read += n;
    }
    const head = MAGIC.length + CHECKSUM_BYTES;
    if (data.length <= head || !data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const payload = data.subarray(head);
    return checksum(payload).equals(data.subarray(MAGIC.length, head)) ? payload : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Written beside its final name, then renamed: a reader sees the old file or the new one. */
function writeCache(dir: string, file: string, key: string, payload: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!privateDir(dir)) return;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([MAGIC, checksum(payload), payload]), {
      flag: "wx",
      mode: 0o600,
    });
    renameSync(temp, file);
  } catch {
    try {
      unlinkSync(temp);
    } catch {}
    return;
  }
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const other = CACHE_FILE.exec(name) ?? /^hilt-.*\.v8cache\.\d+\.tmp$/.exec(name);
    if (!other || other[1] === key) continue;
    try {
      const full = path.join(dir, name);
      if (now - statSync(full).mtimeMs > (other[1] ? STALE_MS : 60 * 60 * 1000)) unlinkSync(full);
    } catch {}
  }
}

/** The bundle's text: esbuild writes ASCII, which reads fastest as latin1. */
function sourceText(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
}

/**
 * Loads a CommonJS bundle as Node's require() would (same wrapper, same require, module,
 * __filename and __dirname), through a vm.Script that consumes and produces a code cache.
 * Without a cache folder, or when the script cannot be set up, it is plainly required.
 */
export function loadBundle(file: string, options: CacheOptions): LoadedBundle {
  const require = createRequire(file);
  const plain = (): LoadedBundle => ({
    exports: require(file) as Record<string, unknown>,
    status: "off",
    save: () => {},
  });
  if (options.dir === undefined) return plain();
  let script: vm.Script;
  let cachedData: Buffer | undefined;
  let key: string;
  let cacheFile: string;
  const dir = options.dir;
  try {
    const bytes = readFileSync(file);
    // The bundle, this Node and its V8: V8 itself checks only the source's length and its flags.
    // The flags are in the key too, so that starts with other flags keep a cache of their own
    // instead of replacing each other's.
    const flags = `${process.execArgv.join(" ")}\0${process.env.NODE_OPTIONS ?? ""}`;
    key = createHash("sha256")
      .update(bytes)
      .update(`\0${process.version}\0${process.arch}\0${process.versions.v8}\0${flags}`)
      .digest("hex")
      .slice(0, 24);
    cacheFile = path.join(dir, `hilt-${key}-${options.command}.v8cache`);
    cachedData = privateDir(dir) ? readCache(cacheFile) : undefined;
    const wrapped = `(function (exports, require, module, __filename, __dirname) { ${sourceText(bytes)}\n})`;
    script = new vm.Script(wrapped, {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
    });
  } catch {
    return plain();
  }
  const module = { exports: {} as Record<string, unknown>, filename: file, id: file };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, require, module, file, path.dirname(file));
  const status: CacheStatus =
    cachedData === undefined ? "absent" : script.cachedDataRejected ? "rejected" : "accepted";
  return {
    exports: module.exports,
    status,
    save: () => {
      if (status === "accepted") return;
      try {
        writeCache(dir, cacheFile, key, script.createCachedData());
      } catch {}
    },
  };
}
