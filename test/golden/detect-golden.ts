import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { detect } from "../../src/detect/detect.js";

export const EXAMPLES_DIR = path.resolve(import.meta.dirname, "../../examples");
export const DETECT_GOLDEN_DIR = path.join(import.meta.dirname, "detect");

/** Every example with an expected `detect --json` (test/golden/detect/<example>.json). */
export const EXAMPLES = readdirSync(DETECT_GOLDEN_DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -".json".length))
  .filter((name) => existsSync(path.join(EXAMPLES_DIR, name)))
  .sort();

export function detectExample(name: string) {
  return detect(path.join(EXAMPLES_DIR, name));
}
