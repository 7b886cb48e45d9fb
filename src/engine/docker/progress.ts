/** What BuildKit's plain progress log says about cache use: pure, tested on captured logs. */

export interface CacheUse {
  /** Build steps (RUN, COPY…, per platform); FROM lines are pulls, not steps. */
  steps: number;
  /**
   * Steps BuildKit took from a cache: marked CACHED (its own cache), or whose layer it fetched
   * (an imported cache: the step shows the blob download, a step that ran never does).
   */
  cached: number;
  /** Cache refs imported without error (`--cache-from`). */
  importedFrom: string[];
}

const STEP = /^#(\d+) \[[^\]]*\b\d+\/\d+\] (\S+)/;
const CACHED = /^#(\d+) CACHED\s*$/;
const FETCHED = /^#(\d+) sha256:[0-9a-f]{64} \S+ \/ \S+/;
const IMPORT = /^#(\d+) importing cache manifest from (\S+)\s*$/;
const ERROR = /^#(\d+) ERROR:/;

/** Counts the steps of a `--progress plain` log and those BuildKit found in a cache. */
export function cacheUse(log: string): CacheUse {
  const steps = new Set<string>();
  const cached = new Set<string>();
  const imports = new Map<string, string>();
  const failed = new Set<string>();
  for (const line of log.split("\n")) {
    const step = STEP.exec(line);
    if (step?.[1] && step[2] !== "FROM") steps.add(step[1]);
    const hit = CACHED.exec(line) ?? FETCHED.exec(line);
    if (hit?.[1]) cached.add(hit[1]);
    const imported = IMPORT.exec(line);
    if (imported?.[1] && imported[2]) imports.set(imported[1], imported[2]);
    const error = ERROR.exec(line);
    if (error?.[1]) failed.add(error[1]);
  }
  return {
    steps: steps.size,
    cached: [...steps].filter((id) => cached.has(id)).length,
    importedFrom: [...imports].filter(([id]) => !failed.has(id)).map(([, ref]) => ref),
  };
}

/** One line for the log: `4 of 4 steps from cache (imported 127.0.0.1:5000/a:buildcache)`. */
export function describeCacheUse(use: CacheUse): string {
  const imported = use.importedFrom.length > 0 ? ` (imported ${use.importedFrom.join(", ")})` : "";
  return `${use.cached} of ${use.steps} steps from cache${imported}`;
}
