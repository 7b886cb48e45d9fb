import { resolveInside } from "../fs/untrusted.js";
import { confineToWorkspace } from "../mcp/workspace.js";
import type { JobRequest } from "./store/types.js";

export interface JobCommand {
  /** The job's folder (a real path inside the workspace root): the CLI's working directory. */
  cwd: string;
  /** The CLI's arguments after its script: `build --json --events … -- targets`. */
  args: string[];
  /** Variables the CLI child gets on top of the runner's (a job source's git boundary). */
  env?: Record<string, string>;
}

type Options = {
  targets?: string[];
  pipeline?: string;
  catalog?: string;
  push?: string;
  platforms?: string[];
  baseImages?: Record<string, string>;
  engine?: string;
  concurrency?: number;
  noCache?: boolean;
  timeout?: number;
};

/** `--name=value` so that no value (even one starting with "-") is read as another flag. */
function flag(name: string, value: string | number | undefined): string[] {
  return value === undefined ? [] : [`--${name}=${value}`];
}

/**
 * The CLI invocation for a job. Every path is confined to the workspace root again here (the
 * folder may have changed since the submit: a symbolic link swapped in is refused, not followed).
 */
export function jobCommand(root: string, request: JobRequest): JobCommand {
  const options = request.options as Options;
  if (request.kind === "detect") {
    const dir = resolveInside(root, request.workspace);
    return { cwd: dir, args: ["detect", "--json", "--", dir] };
  }
  const confined = confineToWorkspace(root, {
    root: request.workspace,
    catalog: options.catalog,
    pipeline: options.pipeline,
    targets: options.targets,
  });
  const args = [request.kind, "--json"];
  if (request.kind !== "plan") args.push("--events");
  args.push(
    ...flag("catalog", confined.catalog),
    ...flag("pipeline", confined.pipeline),
    ...flag("push", options.push),
    ...flag("platform", options.platforms?.join(",")),
    ...Object.entries(options.baseImages ?? {}).flatMap(([name, ref]) =>
      flag("base-image", `${name}=${ref}`),
    ),
  );
  if (request.kind !== "plan")
    args.push(
      ...flag("engine", options.engine),
      ...flag("concurrency", options.concurrency),
      ...flag("timeout", options.timeout),
      ...(options.noCache ? ["--no-cache"] : []),
    );
  const targets = request.kind === "build-all" ? [] : (confined.targets ?? []);
  if (targets.length > 0) args.push("--", ...targets);
  return { cwd: confined.root ?? resolveInside(root, "."), args };
}
