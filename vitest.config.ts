import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/golden/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // Hostile repositories, files, arguments, registries and protocol abuse (issue 9).
          name: "adversarial",
          include: ["test/adversarial/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
