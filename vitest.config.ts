import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Vitest's default is one worker on these 2-core machines, but unit and adversarial tests
    // mostly wait on the CLI's child processes; e2e files still run one at a time, after them.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["test/unit/**/*.test.ts", "test/golden/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // Hostile repositories, files, arguments, registries and protocol abuse (issue 9).
          name: "adversarial",
          sequence: { groupOrder: 0 },
          include: ["test/adversarial/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          sequence: { groupOrder: 1 },
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
