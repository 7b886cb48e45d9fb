import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { HiltError } from "../errors.js";

/**
 * Reading and writing inside a repository Hilt does not trust: only regular files, only inside
 * the root (real paths, so no symlink leads out), with size caps, and never blocking on a FIFO.
 */

/** Default cap for a manifest or Dockerfile read from an untrusted repository. */
export const MAX_UNTRUSTED_FILE = 1024 * 1024;

function isInside(root: string, candidate: string): boolean {
  return (
    candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
  );
}

/** Where `display` is the path the user should see in messages (never file contents). */
function outside(display: string, root: string): HiltError {
  return new HiltError("PATH_OUTSIDE_ROOT", `${display} leads outside ${root}`, {
    hint: "paths must stay inside the repository, also after following symbolic links",
  });
}

/** The real path of `root`; throws PATH_NOT_FOUND / NOT_A_DIRECTORY with the user's spelling. */
export function realRoot(root: string): string {
  let real: string;
  try {
    real = realpathSync(root);
  } catch (error) {
    throw new HiltError("PATH_NOT_FOUND", `${root}: no such folder`, {
      cause: error,
      hint: "pass the path of a repository folder",
    });
  }
  if (!lstatSync(real).isDirectory())
    throw new HiltError("NOT_A_DIRECTORY", `${root} is a file, not a folder`, {
      hint: "pass the repository's folder",
    });
  return real;
}

/**
 * Resolves `relative` under `root` to a real path that stays inside root's real path. A path
 * that does not exist yet is checked through its nearest existing ancestor.
 */
export function resolveInside(root: string, relative: string): string {
  const base = realRoot(root);
  const display = relative;
  if (relative.includes("\0")) throw unsafeName(display);
  const joined = path.resolve(base, relative);
  if (!isInside(base, joined)) throw outside(display, root);
  let existing = joined;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      const full = path.join(real, ...rest.reverse());
      if (!isInside(base, full)) throw outside(display, root);
      return full;
    } catch (error) {
      if (error instanceof HiltError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw outside(display, root);
      const parent = path.dirname(existing);
      if (parent === existing) throw outside(display, root);
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

export function unsafeName(name: string): HiltError {
  return new HiltError("UNSAFE_NAME", `${JSON.stringify(name)} holds control characters`, {
    hint: "rename the file or folder: Hilt refuses names with newlines or control characters",
  });
}

/** True when a file or folder name can be rendered into a Dockerfile or argv safely. */
export function isSafeName(name: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  return !/[\u0000-\u001f\u007f]/.test(name);
}

/**
 * True when a repository path can stand unquoted in a Dockerfile COPY or WORKDIR line or a
 * generated script: letters, digits and `. _ - @ +` in folders split by `/`; nothing a shell or
 * the Dockerfile parser would read as a quote, variable, escape or separator.
 */
export function isPlainPath(value: string): boolean {
  return /^[\p{L}\p{N}._@+-]+(?:\/[\p{L}\p{N}._@+-]+)*$/u.test(value) && !value.startsWith("-");
}

/** A name Hilt will not render into a Dockerfile line that cannot quote it. */
export function unplainPath(value: string, where: string): HiltError {
  return new HiltError(
    "UNSAFE_NAME",
    `${JSON.stringify(value)} cannot be written into ${where} of a generated Dockerfile`,
    {
      hint: "rename the folder to letters, digits and . _ - @ + (or write the Dockerfile yourself)",
    },
  );
}

export interface ReadOptions {
  maxBytes?: number;
  /** How the file is named in errors; defaults to its path. */
  display?: string;
}

function notRegular(display: string): HiltError {
  return new HiltError("NOT_A_REGULAR_FILE", `${display} is not a regular file`, {
    hint: "Hilt reads only regular files from a repository (no FIFOs, sockets or devices)",
  });
}

/**
 * Reads a regular file without ever blocking: a FIFO, socket or device is refused, as is a file
 * over the cap. Opening with O_NONBLOCK keeps a FIFO from hanging the open itself.
 */
export function readRegularFile(file: string, options: ReadOptions = {}): Buffer {
  const display = options.display ?? file;
  const max = options.maxBytes ?? MAX_UNTRUSTED_FILE;
  // Not even opened when it is plainly no regular file: opening a socket fails, a device may act.
  if (!statSync(file).isFile()) throw notRegular(display);
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(display);
    if (stat.size > max)
      throw new HiltError(
        "FILE_TOO_LARGE",
        `${display} is too large (${stat.size} bytes; the limit is ${max})`,
        { hint: "a manifest or Dockerfile this large is not something Hilt reads" },
      );
    const buffer = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** A regular file inside `root`, as text; every failure is a coded HiltError. */
export function readInside(root: string, relative: string, options: ReadOptions = {}): string {
  const full = resolveInside(root, relative);
  try {
    return readRegularFile(full, { display: relative, ...options }).toString("utf8");
  } catch (error) {
    if (error instanceof HiltError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new HiltError(
      code === "ENOENT" ? "PATH_NOT_FOUND" : "PATH_UNREADABLE",
      `${relative}: ${code === "ENOENT" ? "no such file" : `cannot be read (${code})`}`,
      { hint: "check the path and its permissions" },
    );
  }
}

/** A failed write as a user error: the folder is read-only, the name too long, and so on. */
function writeFailed(relative: string, error: unknown): HiltError {
  if (error instanceof HiltError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "unknown";
  const why: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "the file system is read-only",
    ENAMETOOLONG: "the name is too long",
    EISDIR: "a folder is in the way",
    ENOTDIR: "a file is in the way of a folder",
    ENOSPC: "no space left on the device",
    EEXIST: "something appeared there while writing",
    ELOOP: "a symbolic link is in the way",
  };
  return new HiltError("WRITE_FAILED", `cannot write ${relative}: ${why[code] ?? code}`, {
    hint: "check the folder's permissions and free space, or use --stdout to print instead",
  });
}

/**
 * Checks where `relative` would be written: its folders are real folders inside root (none is a
 * symbolic link, dangling or not), and the file itself is absent or a regular file. Returns the
 * absolute path and whether a file is there already. Creates nothing.
 */
export function writeTarget(root: string, relative: string): { full: string; exists: boolean } {
  for (const part of relative.split("/")) if (!isSafeName(part)) throw unsafeName(relative);
  const base = realRoot(root);
  const joined = path.resolve(base, relative);
  if (!isInside(base, joined) || joined === base) throw outside(relative, root);
  try {
    let at = base;
    for (const part of path.relative(base, path.dirname(joined)).split(path.sep)) {
      if (part === "") continue;
      at = path.join(at, part);
      let stat: ReturnType<typeof lstatSync>;
      try {
        stat = lstatSync(at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") break;
        throw error;
      }
      if (stat.isSymbolicLink())
        throw new HiltError("PATH_OUTSIDE_ROOT", `${relative}: a folder on its way is a link`, {
          hint: "Hilt writes only into real folders of the repository, never through links",
        });
      if (!stat.isDirectory())
        throw new HiltError("WOULD_OVERWRITE", `${relative}: ${at} is not a folder`, {
          hint: "remove or rename the file that is in the way",
        });
    }
    let existing: ReturnType<typeof lstatSync> | undefined;
    try {
      existing = lstatSync(joined);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    }
    if (existing?.isSymbolicLink())
      throw new HiltError("WOULD_OVERWRITE", `${relative} is a symbolic link; not replaced`, {
        hint: "remove the link (Hilt never writes through or over a symbolic link)",
      });
    if (existing && !existing.isFile())
      throw new HiltError("WOULD_OVERWRITE", `${relative} exists and is not a regular file`, {
        hint: "remove it or move it away",
      });
    return { full: joined, exists: existing !== undefined };
  } catch (error) {
    throw writeFailed(relative, error);
  }
}

/**
 * Writes a regular file inside `root`: never through a symlink (no folder on the way is a link,
 * the file is opened with O_NOFOLLOW), never replacing anything but a regular file, and never an
 * existing file unless `overwrite`. Every failure is a coded user error.
 */
export function writeInside(
  root: string,
  relative: string,
  content: string,
  options: { overwrite: boolean; mode?: number },
): void {
  const { full, exists } = writeTarget(root, relative);
  if (exists && !options.overwrite)
    throw new HiltError("WOULD_OVERWRITE", `would overwrite ${relative}`, {
      hint: "pass --force to replace it, or --stdout to print instead",
    });
  try {
    const base = realRoot(root);
    let at = base;
    for (const part of path.relative(base, path.dirname(full)).split(path.sep)) {
      if (part === "") continue;
      at = path.join(at, part);
      try {
        mkdirSync(at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      // A folder swapped for a link between the check and here is still refused.
      if (!lstatSync(at).isDirectory()) throw outside(relative, root);
    }
    if (!isInside(base, realpathSync(path.dirname(full)))) throw outside(relative, root);
    const flags =
      constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      constants.O_NONBLOCK |
      (exists ? constants.O_TRUNC : constants.O_EXCL);
    const fd = openSync(full, flags, options.mode ?? 0o644);
    try {
      if (!fstatSync(fd).isFile()) throw outside(relative, root);
      writeSync(fd, content);
      if (options.mode !== undefined) fchmodSync(fd, options.mode);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw writeFailed(relative, error);
  }
}

// One read buffer for every hash: hashing runs synchronously, so it is never shared in flight.
const hashChunk = Buffer.allocUnsafe(256 * 1024);

/**
 * sha256 and mode of a regular file, read in chunks (no size cap, constant memory). Like readRegularFile it
 * opens with O_NONBLOCK and refuses anything but a regular file, so a FIFO never hangs it.
 */
export function hashRegularFile(file: string, display = file): { sha256: string; mode: number } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new HiltError("NOT_A_REGULAR_FILE", `${display} is not a regular file`, {
        hint: "Hilt reads only regular files from a repository (no FIFOs, sockets or devices)",
      });
    const hash = createHash("sha256");
    const chunk = hashChunk;
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
    }
    return { sha256: hash.digest("hex"), mode: stat.mode };
  } finally {
    closeSync(fd);
  }
}
