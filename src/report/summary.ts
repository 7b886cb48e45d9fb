import { formatBytes } from "./bytes.js";
import type { HiltResult, ImageResult } from "./result-schema.js";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** "412 MB (+96.1 MB)": compressed as pulled, else unpacked; what it adds over its parent. */
export function sizeText(size: ImageResult["size"]): string {
  if (!size) return "";
  const total = size.compressed ?? size.uncompressed;
  if (total === undefined) return "";
  const added = size.compressed !== undefined ? size.added : size.addedUncompressed;
  const over = size.budget?.exceeded ? " OVER BUDGET" : "";
  return `${formatBytes(total)}${added !== undefined ? ` (+${formatBytes(added)})` : ""}${over}`;
}

/** The human summary: one line per image, then the outcome. */
export function formatSummary(result: HiltResult): string {
  const width = Math.max(5, ...result.images.map((i) => i.name.length));
  const sizes = result.images.map((i) => sizeText(i.size));
  const sizeWidth = Math.max(0, ...sizes.map((s) => s.length));
  const sizeHead = sizeWidth > 0 ? `${"SIZE".padEnd(sizeWidth)}  ` : "";
  const lines = [`${"IMAGE".padEnd(width)}  STATUS   TIME    ${sizeHead}REF`];
  result.images.forEach((image, index) => {
    const ref = image.refs[0] ?? image.error?.message.split("\n")[0] ?? "";
    const size = sizeWidth > 0 ? `${(sizes[index] ?? "").padEnd(sizeWidth)}  ` : "";
    lines.push(
      `${image.name.padEnd(width)}  ${image.status.padEnd(7)}  ${seconds(image.durationMs).padStart(6)}  ${size}${ref}`,
    );
  });
  const counts = ["built", "cached", "skipped", "failed"]
    .map((s) => [s, result.images.filter((i) => i.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push(
    `${result.ok ? "ok" : `FAILED (${result.error?.code})`}: ${counts.join(", ") || "nothing to do"} in ${seconds(result.durationMs)} on ${result.engine}`,
  );
  return `${lines.join("\n")}\n`;
}
