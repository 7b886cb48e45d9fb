export type NodeOutcome<T> =
  | { status: "done"; value: T }
  | { status: "failed"; error: unknown }
  | { status: "skipped"; reason: string };

/**
 * Runs each node once all its parents are done, at most `concurrency` at a time. A failed node
 * skips its descendants and nothing else; an abort stops starting new nodes.
 */
export async function runGraph<T>(options: {
  nodes: readonly string[];
  parentsOf: (node: string) => readonly string[];
  concurrency: number;
  signal?: AbortSignal;
  work: (node: string, parents: ReadonlyMap<string, T>) => Promise<T>;
  onSettled?: (node: string, outcome: NodeOutcome<T>) => void;
}): Promise<Map<string, NodeOutcome<T>>> {
  const { nodes, parentsOf, signal } = options;
  const outcomes = new Map<string, NodeOutcome<T>>();
  const waiting = new Set(nodes);
  let running = 0;

  return new Promise((resolve) => {
    const settle = (node: string, outcome: NodeOutcome<T>) => {
      outcomes.set(node, outcome);
      options.onSettled?.(node, outcome);
    };
    // Repeats until a pass changes nothing: a skip can unblock (skip) a node listed earlier.
    const pump = () => {
      let changed = true;
      while (changed) changed = pass();
      if (waiting.size === 0 && running === 0) resolve(outcomes);
    };
    const pass = (): boolean => {
      let changed = false;
      for (const node of [...waiting]) {
        const parents = parentsOf(node).filter((p) => nodes.includes(p));
        const blocked = parents.find((p) => {
          const o = outcomes.get(p);
          return o !== undefined && o.status !== "done";
        });
        if (blocked !== undefined) {
          waiting.delete(node);
          settle(node, { status: "skipped", reason: `parent ${blocked} did not build` });
          changed = true;
          continue;
        }
        if (signal?.aborted) {
          waiting.delete(node);
          settle(node, { status: "skipped", reason: "interrupted" });
          changed = true;
          continue;
        }
        if (running >= options.concurrency) continue;
        if (!parents.every((p) => outcomes.get(p)?.status === "done")) continue;
        waiting.delete(node);
        running++;
        const values = new Map(parents.map((p) => [p, (outcomes.get(p) as { value: T }).value]));
        Promise.resolve()
          .then(() => options.work(node, values))
          .then(
            (value) => settle(node, { status: "done", value }),
            (error: unknown) => settle(node, { status: "failed", error }),
          )
          .finally(() => {
            running--;
            pump();
          });
      }
      return changed;
    };
    signal?.addEventListener("abort", pump, { once: true });
    pump();
  });
}

/**
 * The images one session builds: those with no cached result whose parents are either cached
 * or in the session too (an image whose lookup failed, and what descends from it, stay out and
 * fail or skip on their own). `parentInSession` is the parent a member starts from in the session.
 */
export function sessionMembers(options: {
  nodes: readonly string[];
  parentsOf: (node: string) => readonly string[];
  /** The parent an image starts FROM, when it is one of `nodes`. */
  fromParent: (node: string) => string | undefined;
  /** Content-tag lookups: a digest (cached), undefined (to build), or absent (lookup failed). */
  cached: ReadonlyMap<string, string | undefined>;
}): Map<string, { parentInSession?: string }> {
  const { nodes, cached } = options;
  const members = new Map<string, { parentInSession?: string }>();
  const isCached = (n: string) => cached.get(n) !== undefined;
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of nodes) {
      if (members.has(node) || !cached.has(node) || isCached(node)) continue;
      const parents = options.parentsOf(node).filter((p) => nodes.includes(p));
      const from = options.fromParent(node);
      const ready = parents.every((p) => isCached(p) || (p === from && members.has(p)));
      if (!ready) continue;
      members.set(node, from && members.has(from) ? { parentInSession: from } : {});
      grew = true;
    }
  }
  return members;
}
