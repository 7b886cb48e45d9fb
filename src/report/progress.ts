import type { BuildEvent } from "../engine/events.js";

interface Row {
  status: "queued" | "started" | "built" | "cached" | "skipped" | "failed";
  startedAt?: number;
  durationMs?: number;
}

const MARK: Record<Row["status"], string> = {
  queued: "·",
  started: "▶",
  built: "✓",
  cached: "=",
  skipped: "–",
  failed: "✗",
};

/** One frame of the live display: a line per image, in plan order. Pure, for tests. */
export function renderProgress(rows: ReadonlyMap<string, Row>, now: number): string[] {
  const width = Math.max(...[...rows.keys()].map((n) => n.length), 5);
  return [...rows].map(([name, row]) => {
    const ms = row.durationMs ?? (row.startedAt !== undefined ? now - row.startedAt : undefined);
    const time = ms === undefined ? "" : `${(ms / 1000).toFixed(1)}s`;
    return `${MARK[row.status]} ${name.padEnd(width)}  ${row.status.padEnd(7)} ${time}`;
  });
}

/** A live progress display on a terminal: redraws the image lines in place on each event. */
export function liveProgress(stream: NodeJS.WriteStream): {
  onEvent: (event: BuildEvent) => void;
  stop: () => void;
} {
  const rows = new Map<string, Row>();
  let drawn = 0;
  const draw = () => {
    const lines = renderProgress(rows, Date.now());
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    for (const line of lines) stream.write(`\x1b[2K${line}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(() => rows.size > 0 && draw(), 500);
  timer.unref();
  return {
    onEvent(event) {
      if (event.event === "queued") rows.set(event.image, { status: "queued" });
      else if (event.event === "started")
        rows.set(event.image, { status: "started", startedAt: Date.parse(event.time) });
      else if (event.event === "finished")
        rows.set(event.image, { status: event.status, durationMs: event.durationMs });
      else if (event.event === "warning") stream.write(`warning: ${event.message}\n`);
      else return;
      draw();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
