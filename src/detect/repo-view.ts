import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { ExitCode, HiltError } from "../errors.js";

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

const MAX_READ = 512 * 1024;

function join(dir: string, name: string): string {
  return dir === "." || dir === "" ? name : `${dir}/${name}`;
}

/** A view of a folder on disk. Symlinks pointing outside the repository are never followed. */
export function diskRepo(rootInput: string): RepoView {
  const root = path.resolve(rootInput);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HiltError(
      code === "ENOENT" ? "PATH_NOT_FOUND" : "PATH_UNREADABLE",
      `${rootInput}: ${code === "ENOENT" ? "no such folder" : (error as Error).message}`,
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
  const inside = (relative: string): boolean => {
    try {
      const real = realpathSync(path.join(root, relative));
      return real === realRoot || real.startsWith(`${realRoot}${path.sep}`);
    } catch {
      return false;
    }
  };
  const listCache = new Map<string, DirListing | undefined>();
  return {
    warnings,
    list(dir) {
      if (listCache.has(dir)) return listCache.get(dir);
      let listing: DirListing | undefined;
      try {
        const files: string[] = [];
        const dirs: string[] = [];
        for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
          const rel = join(dir, entry.name);
          if (entry.isSymbolicLink()) {
            if (!inside(rel)) {
              warnings.push(`${rel}: symlink points outside the repository; ignored`);
              continue;
            }
            const target = lstatSync(path.join(root, rel)) && statSync(path.join(root, rel));
            if (target.isFile()) files.push(entry.name);
            // Symlinked folders are not descended into: the real folder is seen on its own.
            continue;
          }
          if (entry.isDirectory()) dirs.push(entry.name);
          else if (entry.isFile()) files.push(entry.name);
        }
        listing = { files: files.sort(), dirs: dirs.sort() };
      } catch (error) {
        if (dir === ".") {
          throw new HiltError("PATH_UNREADABLE", `${rootInput}: ${(error as Error).message}`, {
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
      if (!inside(file)) return undefined;
      try {
        const full = path.join(root, file);
        if (statSync(full).size > MAX_READ) return undefined;
        return readFileSync(full, "utf8");
      } catch {
        return undefined;
      }
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
