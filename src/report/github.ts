import { randomBytes } from "node:crypto";
import type { HiltResult } from "./result-schema.js";
import { sizeText } from "./summary.js";

/** The job summary table: image, status, refs, digest, time. */
export function markdownSummary(result: HiltResult): string {
  const lines = [
    `### Hilt: ${result.ok ? "✅ ok" : `❌ ${result.error?.code ?? "failed"}`} (${result.engine}, push ${result.push}, ${(result.durationMs / 1000).toFixed(1)} s)`,
    "",
  ];
  if (result.error)
    lines.push(
      `> ${result.error.message.split("\n")[0]}${result.error.hint ? ` — ${result.error.hint}` : ""}`,
      "",
    );
  if (result.images.length > 0) {
    lines.push(
      "| image | status | refs | digest | size (+ over parent) | time |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const image of result.images) {
      const refs =
        image.refs.map((r) => `\`${r}\``).join("<br>") ||
        (image.error ? image.error.message.split("\n")[0] : "");
      const digest = image.digest ? `\`${image.digest.slice(0, 19)}…\`` : "";
      lines.push(
        `| ${image.name} | ${image.status} | ${refs} | ${digest} | ${sizeText(image.size)} | ${(image.durationMs / 1000).toFixed(1)} s |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** GITHUB_OUTPUT lines: result (multi-line, with a random delimiter), refs, ok. */
export function githubOutputs(result: HiltResult, json: string): string {
  const delimiter = `HILT_${randomBytes(8).toString("hex")}`;
  const refs = result.images.flatMap((i) => i.refs).join("\n");
  return [
    `result<<${delimiter}`,
    json.trimEnd(),
    delimiter,
    `refs<<${delimiter}`,
    refs,
    delimiter,
    `ok=${result.ok}`,
    "",
  ].join("\n");
}
