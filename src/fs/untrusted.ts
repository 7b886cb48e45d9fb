import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
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

export interface ReadOptions {
  maxBytes?: number;
  /** How the file is named in errors; defaults to its path. */
  display?: string;
}

/**
 * Reads a regular file without ever blocking: a FIFO, socket or device is refused, as is a file
 * over the cap. Opening with O_NONBLOCK keeps a FIFO from hanging the open itself.
 */
export function readRegularFile(file: string, options: ReadOptions = {}): Buffer {
  const display = options.display ?? file;
  const max = options.maxBytes ?? MAX_UNTRUSTED_FILE;
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new HiltError("NOT_A_REGULAR_FILE", `${display} is not a regular file`, {
        hint: "Hilt reads only regular files from a repository (no FIFOs, sockets or devices)",
      });
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

/**
 * Writes a regular file inside `root`: never through a symlink (the last component is opened
 * with O_NOFOLLOW, the folders above are resolved and checked), never replacing anything but a
 * regular file, and never an existing file unless `overwrite`.
 */
export function writeInside(
  root: string,
  relative: string,
  content: string,
  options: { overwrite: boolean; mode?: number },
): void {
  for (const part of relative.split("/")) if (!isSafeName(part)) throw unsafeName(relative);
  const full = resolveInside(root, relative);
  const dir = path.dirname(full);
  mkdirSync(dir, { recursive: true });
  // mkdir may have followed nothing new, but a folder swapped for a link must still be refused.
  if (!isInside(realRoot(root), realpathSync(dir))) throw outside(relative, root);
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(full);
  } catch {}
  if (existing) {
    if (existing.isSymbolicLink())
      throw new HiltError("WOULD_OVERWRITE", `${relative} is a symbolic link; not replaced`, {
        hint: "remove the link (Hilt never writes through or over a symbolic link)",
      });
    if (!existing.isFile())
      throw new HiltError("WOULD_OVERWRITE", `${relative} exists and is not a regular file`, {
        hint: "remove it or move it away",
      });
    if (!options.overwrite)
      throw new HiltError("WOULD_OVERWRITE", `would overwrite ${relative}`, {
        hint: "pass --force to replace it, or --stdout to print instead",
      });
  }
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    constants.O_NOFOLLOW |
    (existing ? constants.O_TRUNC : constants.O_EXCL);
  const fd = openSync(full, flags, options.mode ?? 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}
