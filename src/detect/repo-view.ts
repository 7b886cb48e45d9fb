import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { ExitCode, HiltError } from "../errors.js";
import { isSafeName, readRegularFile } from "../fs/untrusted.js";

/** Folders never looked into: dependencies, VCS data, build output, vendored code. */
export const SKIPPED_DIRS = new Set([
  "node_modules",
  ".git",
  ".hg",
  ".svn",
  "dist",
  "build",
  "out",
  ".next",
  ".nuxt",
  ".output",
  "coverage",
  "vendor",
  "third_party",
  ".venv",
  "venv",
  "env",
  "__pycache__",
  ".tox",
  "target",
  ".cache",
  ".turbo",
  ".yarn",
  "bower_components",
  ".idea",
  ".vscode",
  "tmp",
]);

export interface DirListing {
  files: string[];
  dirs: string[];
}

/** Read-only, lazy access to a repository: only what detection asks for is read. */
export interface RepoView {
  list(dir: string): DirListing | undefined;
  read(file: string): string | undefined;
  warnings: string[];
}

/** Manifests and sources read by detection are small; anything larger is refused. */
export const MAX_READ = 512 * 1024;

function join(dir: string, name: string): string {
  return dir === "." || dir === "" ? name : `${dir}/${name}`;
}

/** Why a file could not be read, for a warning that names the file and never its contents. */
function unreadable(file: string, error: unknown): string {
  if (error instanceof HiltError) {
    if (error.code === "FILE_TOO_LARGE") return `${error.message}; ignored`;
    if (error.code === "NOT_A_REGULAR_FILE")
      return `${file} is not a regular file (a FIFO, socket or device); ignored`;
    return `${error.message}; ignored`;
  }
  return `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}); ignored`;
}

/**
 * A view of a folder on disk. Only regular files inside the repository are read (real paths, so
 * no link leads out; never a FIFO, socket or device; at most MAX_READ bytes); folders reached
 * through a symbolic link are not listed; names holding control characters are left out.
 */
export function diskRepo(rootInput: string): RepoView {
  const root = path.resolve(rootInput);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HiltError(
      code === "ENOENT" ? "PATH_NOT_FOUND" : "PATH_UNREADABLE",
      `${rootInput}: ${code === "ENOENT" ? "no such folder" : `cannot be read (${code})`}`,
      {
        exitCode: ExitCode.usage,
        hint: "pass the path of a repository folder",
      },
    );
  }
  if (!stat.isDirectory()) {
    throw new HiltError("NOT_A_DIRECTORY", `${rootInput} is a file, not a folder`, {
      exitCode: ExitCode.usage,
      hint: "pass the repository's folder",
    });
  }
  const realRoot = realpathSync(root);
  const warnings: string[] = [];
  const warned = new Set<string>();
  const warn = (key: string, text: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    warnings.push(text);
  };
  const insideReal = (real: string) =>
    real === realRoot || real.startsWith(`${realRoot}${path.sep}`);
  const isLexicallyInside = (relative: string) => {
    const normal = path.posix.normalize(relative);
    return !path.posix.isAbsolute(normal) && normal !== ".." && !normal.startsWith("../");
  };
  const listCache = new Map<string, DirListing | undefined>();
  // Every entry name of each folder listed: a probe for a name not there needs no system call.
  const entryNames = new Map<string, Set<string>>();
  const readCache = new Map<string, string | undefined>();
  return {
    warnings,
    list(dir) {
      if (listCache.has(dir)) return listCache.get(dir);
      let listing: DirListing | undefined;
      try {
        if (!isLexicallyInside(dir) || !isSafeName(dir)) throw new Error("outside or unsafe");
        const full = path.join(realRoot, dir);
        // A folder reached through a link is not listed: its real path must be its own path.
        if (realpathSync(full) !== full) throw new Error("through a link");
        const files: string[] = [];
        const dirs: string[] = [];
        const entries = readdirSync(full, { withFileTypes: true });
        entryNames.set(dir, new Set(entries.map((e) => e.name)));
        for (const entry of entries) {
          const rel = join(dir, entry.name);
          if (!isSafeName(entry.name)) {
            warn(rel, `${JSON.stringify(rel)}: name holds control characters; ignored`);
            continue;
          }
          if (entry.isSymbolicLink()) {
            let real: string;
            try {
              real = realpathSync(path.join(full, entry.name));
            } catch {
              continue;
            }
            if (!insideReal(real)) {
              warn(rel, `${rel}: symlink points outside the repository; ignored`);
              continue;
            }
            if (lstatSync(real).isFile()) files.push(entry.name);
            // Symlinked folders are not descended into: the real folder is seen on its own.
            continue;
          }
          if (entry.isDirectory()) dirs.push(entry.name);
          else if (entry.isFile()) files.push(entry.name);
        }
        listing = { files: files.sort(), dirs: dirs.sort() };
      } catch (error) {
        if (dir === ".") {
          const code = (error as NodeJS.ErrnoException).code ?? "error";
          throw new HiltError("PATH_UNREADABLE", `${rootInput}: cannot be listed (${code})`, {
            exitCode: ExitCode.usage,
            hint: "check the folder's permissions",
          });
        }
        listing = undefined;
      }
      listCache.set(dir, listing);
      return listing;
    },
    read(file) {
      if (readCache.has(file)) return readCache.get(file);
      const slash = file.lastIndexOf("/");
      const names = entryNames.get(slash < 0 ? "." : file.slice(0, slash));
      if (names && !names.has(file.slice(slash + 1))) return undefined;
      let text: string | undefined;
      try {
        const plain = isLexicallyInside(file) && isSafeName(file);
        const real = plain ? realpathSync(path.join(realRoot, file)) : "";
        if (!plain)
          warn(file, `${JSON.stringify(file)}: outside the repository or unsafe; not read`);
        else if (!insideReal(real)) warn(file, `${file}: leads outside the repository; not read`);
        else text = readRegularFile(real, { display: file, maxBytes: MAX_READ }).toString("utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // A missing file is the common case (detection probes for them): no warning.
        const missing = !(error instanceof HiltError) && (code === "ENOENT" || code === "ENOTDIR");
        if (!missing) warn(file, unreadable(file, error));
      }
      readCache.set(file, text);
      return text;
    },
  };
}

/** An in-memory view, for tests and for files generated before a build. */
export function memoryRepo(files: Record<string, string>): RepoView {
  return {
    warnings: [],
    list(dir) {
      const prefix = dir === "." ? "" : `${dir}/`;
      const names = Object.keys(files).filter((f) => f.startsWith(prefix));
      if (names.length === 0 && dir !== ".") return undefined;
      const direct = new Set<string>();
      const sub = new Set<string>();
      for (const name of names) {
        const rest = name.slice(prefix.length);
        const slash = rest.indexOf("/");
        if (slash < 0) direct.add(rest);
        else sub.add(rest.slice(0, slash));
      }
      return { files: [...direct].sort(), dirs: [...sub].sort() };
    },
    read: (file) => files[file],
  };
}

export { join as joinPath };
