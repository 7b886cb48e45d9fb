import { describe, expect, it } from "vitest";
import {
  criticalPath,
  descendants,
  findCycles,
  topologicalWaves,
  withAncestors,
} from "../../src/plan/graph.js";

const tree = new Map<string, string[]>([
  ["base", []],
  ["mid", ["base"]],
  ["leaf-a", ["mid"]],
  ["leaf-b", ["mid"]],
  ["other", []],
]);

describe("graph helpers", () => {
  it("groups nodes into waves, parents first", () => {
    expect(topologicalWaves(tree)).toEqual([["base", "other"], ["mid"], ["leaf-a", "leaf-b"]]);
  });

  it("finds the heaviest chain", () => {
    expect(criticalPath(tree)).toEqual({ nodes: ["base", "mid", "leaf-a"], weight: 3 });
    const weights: Record<string, number> = { base: 1, mid: 1, "leaf-a": 1, "leaf-b": 5, other: 9 };
    expect(criticalPath(tree, (n) => weights[n] ?? 0)).toEqual({ nodes: ["other"], weight: 9 });
  });

  it("finds every cycle once", () => {
    const cyclic = new Map([
      ["a", ["b"]],
      ["b", ["a"]],
      ["c", ["c"]],
      ["d", ["a"]],
    ]);
    expect(findCycles(cyclic)).toEqual([
      ["a", "b", "a"],
      ["c", "c"],
    ]);
  });

  it("walks descendants and ancestors", () => {
    expect([...descendants(tree, ["mid"])].sort()).toEqual(["leaf-a", "leaf-b"]);
    expect([...withAncestors(tree, ["leaf-b"])]).toEqual(["base", "mid", "leaf-b"]);
  });
});
