import { looksLikePath } from "../app/plan.js";
import { resolveInside } from "../fs/untrusted.js";

/** Path-bearing arguments an MCP client may send; every other argument passes unchanged. */
interface PathArguments {
  path?: string;
  root?: string;
  catalog?: string;
  pipeline?: string;
  targets?: string[];
}

/**
 * An MCP client is untrusted: every folder or file it names must resolve, real paths and
 * symbolic links included, inside the workspace the server was started for. Relative paths
 * mean the workspace (for `path`, `root`) or the root (for catalog, pipeline and folder targets).
 */
export function confineToWorkspace<A extends PathArguments>(workspace: string, args: A): A {
  const out: A = { ...args };
  if (args.path !== undefined) out.path = resolveInside(workspace, args.path);
  const root = resolveInside(workspace, args.root ?? ".");
  if (args.root !== undefined || args.targets || args.catalog || args.pipeline) out.root = root;
  // The root is inside the workspace, so whatever is inside the root is too.
  const inRoot = (value: string) => resolveInside(root, value);
  if (args.catalog !== undefined) out.catalog = inRoot(args.catalog);
  if (args.pipeline !== undefined && /[/\\]|\.ya?ml$/.test(args.pipeline))
    out.pipeline = inRoot(args.pipeline);
  if (args.targets) out.targets = args.targets.map((t) => (looksLikePath(t) ? inRoot(t) : t));
  return out;
}
