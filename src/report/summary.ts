import type { HiltResult } from "./result-schema.js";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The human summary: one line per image, then the outcome. */
export function formatSummary(result: HiltResult): string {
  const width = Math.max(5, ...result.images.map((i) => i.name.length));
  const lines = [`${"IMAGE".padEnd(width)}  STATUS   TIME    REF`];
  for (const image of result.images) {
    const ref = image.refs[0] ?? image.error?.message.split("\n")[0] ?? "";
    lines.push(
      `${image.name.padEnd(width)}  ${image.status.padEnd(7)}  ${seconds(image.durationMs).padStart(6)}  ${ref}`,
    );
  }
  const counts = ["built", "cached", "skipped", "failed"]
    .map((s) => [s, result.images.filter((i) => i.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push(
    `${result.ok ? "ok" : `FAILED (${result.error?.code})`}: ${counts.join(", ") || "nothing to do"} in ${seconds(result.durationMs)} on ${result.engine}`,
  );
  return `${lines.join("\n")}\n`;
}
