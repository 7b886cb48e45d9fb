/** A directed acyclic graph given as node → its parents. Pure helpers shared by model and plan. */
export type ParentMap = ReadonlyMap<string, readonly string[]>;

/** Every elementary cycle reachable, each reported once, as [a, b, …, a]. */
export function findCycles(parents: ParentMap): string[][] {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (node: string) => {
    state.set(node, "visiting");
    stack.push(node);
    for (const parent of parents.get(node) ?? []) {
      if (!parents.has(parent)) continue;
      const s = state.get(parent);
      if (s === "visiting") {
        const cycle = stack.slice(stack.indexOf(parent));
        const key = [...cycle].sort().join("\0");
        if (!seen.has(key)) {
          seen.add(key);
          // Read in build order: the parent first, then what is built from it.
          cycles.push([...cycle, parent].reverse());
        }
      } else if (s === undefined) {
        visit(parent);
      }
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...parents.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Groups nodes into waves: wave N holds nodes whose parents are all in waves < N. */
export function topologicalWaves(parents: ParentMap): string[][] {
  const depth = new Map<string, number>();
  const depthOf = (node: string, trail: Set<string>): number => {
    const known = depth.get(node);
    if (known !== undefined) return known;
    if (trail.has(node)) throw new Error(`cycle through ${node}`);
    trail.add(node);
    let d = 0;
    for (const parent of parents.get(node) ?? []) {
      if (parents.has(parent)) d = Math.max(d, depthOf(parent, trail) + 1);
    }
    trail.delete(node);
    depth.set(node, d);
    return d;
  };
  const waves: string[][] = [];
  for (const node of parents.keys()) {
    const d = depthOf(node, new Set());
    const wave = waves[d] ?? [];
    wave.push(node);
    waves[d] = wave;
  }
  return waves.map((wave) => wave.sort());
}

/** The heaviest root-to-leaf chain, by per-node weight (1 when unknown). */
export function criticalPath(
  parents: ParentMap,
  weight: (node: string) => number = () => 1,
): { nodes: string[]; weight: number } {
  const best = new Map<string, { weight: number; via: string | undefined }>();
  for (const wave of topologicalWaves(parents)) {
    for (const node of wave) {
      let via: string | undefined;
      let base = 0;
      for (const parent of parents.get(node) ?? []) {
        const b = best.get(parent);
        if (b && (b.weight > base || (b.weight === base && via !== undefined && parent < via))) {
          base = b.weight;
          via = parent;
        }
      }
      best.set(node, { weight: base + weight(node), via });
    }
  }
  let end: string | undefined;
  let endWeight = 0;
  // Ties go to the first name in code-unit order, as waves are sorted: the same in every locale.
  for (const [node, b] of [...best].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))) {
    if (b.weight > endWeight) {
      end = node;
      endWeight = b.weight;
    }
  }
  const nodes: string[] = [];
  for (let n = end; n !== undefined; n = best.get(n)?.via) nodes.unshift(n);
  return { nodes, weight: endWeight };
}

/** A node and everything built from it, directly or not. */
export function descendants(parents: ParentMap, roots: Iterable<string>): Set<string> {
  const children = new Map<string, string[]>();
  for (const [node, ps] of parents)
    for (const p of ps) (children.get(p) ?? children.set(p, []).get(p))?.push(node);
  const out = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const node = queue.pop() as string;
    for (const child of children.get(node) ?? []) {
      if (!out.has(child)) {
        out.add(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/** A node and its ancestors, parents first. */
export function withAncestors(parents: ParentMap, nodes: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const add = (node: string) => {
    if (out.has(node) || !parents.has(node)) return;
    for (const p of parents.get(node) ?? []) add(p);
    out.add(node);
  };
  for (const n of nodes) add(n);
  return out;
}
