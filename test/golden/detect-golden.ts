import path from "node:path";
import { detect } from "../../src/detect/detect.js";

export const EXAMPLES_DIR = path.resolve(import.meta.dirname, "../../examples");
export const DETECT_GOLDEN_DIR = path.join(import.meta.dirname, "detect");
export const EXAMPLES = ["client-server", "pnpm-service", "python-api", "go-service", "monorepo"];

export function detectExample(name: string) {
  return detect(path.join(EXAMPLES_DIR, name));
}
