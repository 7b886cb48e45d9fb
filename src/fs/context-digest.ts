import { createHash } from "node:crypto";
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import path from "node:path";

/** Never part of a build context, whatever .dockerignore says. */
const ALWAYS_SKIPPED = new Set([".git", "node_modules"]);

/** A small .dockerignore reader: plain names, globs with * and **, and ! exceptions. */
export function dockerignoreMatcher(text: string): (relative: string) => boolean {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      const pattern = (negate ? line.slice(1) : line)
        .replace(/^\/+|\/+$/g, "")
        .replace(/^\.\//, "");
      const source = pattern
        .split("/")
        .map((part) =>
          part === "**"
            ? "(?:.*)"
            : part
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, "[^/]*")
                .replace(/\?/g, "[^/]"),
        )
        .join("/")
        .replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (relative) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(relative)) ignored = !rule.negate;
    return ignored;
  };
}

/**
 * sha256 over the context's files (path, executable bit, content), sorted, honouring
 * .dockerignore. Symlinks are hashed by target and never followed, so nothing outside leaks in.
 */
export async function contextDigest(dir: string, ignoreText?: string): Promise<string> {
  let ignore: (relative: string) => boolean = () => false;
  try {
    ignore = dockerignoreMatcher(
      ignoreText ?? (await readFile(path.join(dir, ".dockerignore"), "utf8")),
    );
  } catch {}
  const entries: string[] = [];
  const walk = async (relative: string) => {
    const items = await readdir(path.join(dir, relative), { withFileTypes: true });
    for (const item of items) {
      const rel = relative === "" ? item.name : `${relative}/${item.name}`;
      if (ALWAYS_SKIPPED.has(item.name) || ignore(rel)) continue;
      const full = path.join(dir, rel);
      if (item.isDirectory()) await walk(rel);
      else if (item.isSymbolicLink()) entries.push(`${rel}\0link\0${await readlink(full)}`);
      else if (item.isFile()) {
        const { mode } = await stat(full);
        const content = createHash("sha256")
          .update(await readFile(full))
          .digest("hex");
        entries.push(`${rel}\0${mode & 0o111 ? "x" : "-"}\0${content}`);
      }
    }
  };
  await walk("");
  return createHash("sha256").update(entries.sort().join("\n")).digest("hex");
}
