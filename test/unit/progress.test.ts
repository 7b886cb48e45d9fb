import { describe, expect, it } from "vitest";
import { renderProgress } from "../../src/report/progress.js";

describe("live progress display", () => {
  it("draws a line per image with its state and time", () => {
    const rows = new Map([
      ["base", { status: "built" as const, durationMs: 2100 }],
      ["mid", { status: "started" as const, startedAt: 1000 }],
      ["leaf", { status: "queued" as const }],
    ]);
    expect(renderProgress(rows, 4500)).toEqual([
      "✓ base   built   2.1s",
      "▶ mid    started 3.5s",
      "· leaf   queued  ",
    ]);
  });
});
