// Prints the catalog's capability matrix as a Markdown table (README.md carries its output;
// a test keeps the two in step).
import { readFileSync } from "node:fs";
import { validateCatalogText } from "../src/model/load-catalog.js";
import { capabilitiesOf } from "../src/runtime/resolve-image.js";

export function capabilityMatrix(catalogText: string): string {
  const catalog = validateCatalogText("catalog.yaml", catalogText).value;
  if (!catalog) throw new Error("catalog.yaml is invalid: run hilt validate");
  const names = Object.keys(catalog.images);
  const caps = [...new Set(names.flatMap((n) => [...capabilitiesOf(catalog, n)]))];
  const rows = names.map((n) => {
    const has = capabilitiesOf(catalog, n);
    return `| ${n} | ${caps.map((c) => (has.has(c) ? "✓" : "")).join(" | ")} |`;
  });
  return [
    `| image | ${caps.join(" | ")} |`,
    `| --- |${caps.map(() => " :-: |").join("")}`,
    ...rows,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(
    `${capabilityMatrix(readFileSync(new URL("../catalog.yaml", import.meta.url), "utf8"))}\n`,
  );
}
