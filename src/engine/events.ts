/** Progress events, written as NDJSON on stderr by --events; stdout stays the result. */
export type BuildEvent =
  | {
      event: "run-started";
      images: number;
      engine: string;
      /** The buildx builder, when the docker backend chose one. */
      builder?: string;
      push: string;
      time: string;
    }
  | { event: "queued"; image: string; wave: number; time: string }
  | { event: "started"; image: string; time: string }
  | {
      event: "finished";
      image: string;
      status: "built" | "cached" | "skipped" | "failed";
      durationMs: number;
      time: string;
      error?: string;
    }
  | { event: "aliases-moved"; image: string; refs: string[]; time: string }
  | { event: "retry"; url: string; attempt: number; reason: string; time: string }
  | { event: "warning"; message: string; time: string }
  | { event: "run-finished"; ok: boolean; durationMs: number; time: string };

type WithoutTime<E> = E extends unknown ? Omit<E, "time"> : never;
export type EventInput = WithoutTime<BuildEvent>;

export type EventSink = (event: BuildEvent) => void;

/** The event with its time: now, or `at` (ms) for what an engine's progress reported earlier. */
export function stamp(event: EventInput, at?: number): BuildEvent {
  return { ...event, time: new Date(at ?? Date.now()).toISOString() } as BuildEvent;
}
