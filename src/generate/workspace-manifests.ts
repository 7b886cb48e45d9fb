import { joinPath, type RepoView, SKIPPED_DIRS } from "../detect/repo-view.js";

/** How deep and how many package.json files a workspace's manifest copy looks for. */
const DEPTH = 4;
const LIMIT = 200;

/**
 * Every package.json (or `manifest`) below a workspace root (its members and any other package), relative to
 * it: copied before the install so the install layer is reused until a manifest changes. A few
 * extra manifests cost nothing; a missing member's would fail `npm ci`, so this over-approximates.
 * Undefined when there are more than LIMIT (the Dockerfile then copies the whole workspace).
 */
export function workspaceManifests(
  view: RepoView,
  root: string,
  manifest = "package.json",
): string[] | undefined {
  const out: string[] = [];
  const at = (rel: string) => (rel === "." ? root : joinPath(root, rel));
  const walk = (rel: string, depth: number): boolean => {
    for (const sub of view.list(at(rel))?.dirs ?? []) {
      if (SKIPPED_DIRS.has(sub) || sub.startsWith(".")) continue;
      const child = joinPath(rel, sub);
      if (view.list(at(child))?.files.includes(manifest)) {
        out.push(child);
        if (out.length > LIMIT) return false;
      }
      if (depth > 1 && !walk(child, depth - 1)) return false;
    }
    return true;
  };
  return walk(".", DEPTH) ? out.sort() : undefined;
}
