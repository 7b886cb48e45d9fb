import { describe, expect, it } from "vitest";
import { runGraph } from "../../src/engine/scheduler.js";

// A diamond with a tail: a → b, a → c, b+c → d, d → e; and an unrelated f.
const PARENTS: Record<string, string[]> = {
  a: [],
  b: ["a"],
  c: ["a"],
  d: ["b", "c"],
  e: ["d"],
  f: [],
};

/** Deterministic shuffles (a small LCG), so a failure names the seed that found it. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function ancestorsOf(node: string): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => {
    for (const p of PARENTS[n] ?? []) {
      out.add(p);
      visit(p);
    }
  };
  visit(node);
  return out;
}

describe("runGraph", () => {
  it("finishes for every node order, with any failing node, and skips exactly the descendants", async () => {
    const names = Object.keys(PARENTS);
    for (let seed = 1; seed <= 60; seed++) {
      const order = shuffled(names, seed);
      const failing = names[seed % names.length] as string;
      for (const concurrency of [1, 2, 4]) {
        const started: string[] = [];
        const outcomes = await runGraph<string>({
          nodes: order,
          parentsOf: (n) => PARENTS[n] ?? [],
          concurrency,
          work: async (node, parents) => {
            for (const p of PARENTS[node] ?? []) expect(parents.get(p)).toBe(`built ${p}`);
            started.push(node);
            await new Promise((r) => setTimeout(r, 0));
            if (node === failing) throw new Error(`${node} failed`);
            return `built ${node}`;
          },
        });
        expect(outcomes.size, `seed ${seed}`).toBe(names.length);
        for (const node of names) {
          const status = outcomes.get(node)?.status;
          const expected =
            node === failing ? "failed" : ancestorsOf(node).has(failing) ? "skipped" : "done";
          expect(status, `seed ${seed}, ${node}, failing ${failing}`).toBe(expected);
        }
        // Parents always ran first.
        for (const node of started)
          for (const p of PARENTS[node] ?? [])
            expect(started.indexOf(p)).toBeLessThan(started.indexOf(node));
      }
    }
  });

  it("a child listed before its parent is skipped when a grandparent fails", async () => {
    const outcomes = await runGraph<string>({
      nodes: ["e", "d", "b", "c", "a", "f"],
      parentsOf: (n) => PARENTS[n] ?? [],
      concurrency: 2,
      work: async (node) => {
        if (node === "a") throw new Error("a failed");
        return node;
      },
    });
    expect(outcomes.get("e")).toEqual({ status: "skipped", reason: "parent d did not build" });
    expect(outcomes.get("f")?.status).toBe("done");
  });

  it("a work function that throws synchronously fails its node, not the run", async () => {
    const outcomes = await runGraph<string>({
      nodes: ["a", "b"],
      parentsOf: (n) => PARENTS[n] ?? [],
      concurrency: 1,
      work: (node) => {
        if (node === "a") throw new Error("sync");
        return Promise.resolve(node);
      },
    });
    expect(outcomes.get("a")?.status).toBe("failed");
    expect(outcomes.get("b")?.status).toBe("skipped");
  });
});
