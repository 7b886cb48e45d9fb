import type { BuildGraph } from "../plan/plan-schema.js";

export interface MatrixEntry {
  image: string;
  wave: number;
  parents: string;
  platforms: string;
}

export interface WaveMatrix {
  schemaVersion: 1;
  waves: { wave: number; matrix: { include: MatrixEntry[] } }[];
}

/** One GitHub Actions matrix per wave: a job per wave, `needs` the previous one. */
export function toMatrix(plan: BuildGraph): WaveMatrix {
  const byName = new Map(plan.nodes.map((n) => [n.name, n]));
  return {
    schemaVersion: 1,
    waves: plan.waves.map((wave, index) => ({
      wave: index,
      matrix: {
        include: wave.map((name) => {
          const node = byName.get(name);
          return {
            image: name,
            wave: index,
            parents: node?.parents.join(",") ?? "",
            platforms: node?.platforms.join(",") ?? "",
          };
        }),
      },
    })),
  };
}
