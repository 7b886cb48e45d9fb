/**
 * A signal that fires when `parent` aborts or after `ms`. The timer is ours and held until
 * `clear()`: `AbortSignal.timeout` inside `AbortSignal.any` can be garbage-collected on Node 20
 * and then never fires, which let a silent registry hang a run forever.
 */
export interface Deadline {
  signal: AbortSignal;
  /** True when the time ran out (as opposed to the parent aborting). */
  readonly expired: boolean;
  clear(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`no answer within ${ms} ms`));
  }, ms);
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

/** Waits `ms`, or less when `signal` aborts (resolves either way; the caller checks). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Milliseconds a `Retry-After` header asks to wait (delta-seconds or an HTTP date), at most
 * `capMs`; undefined when absent or unreadable.
 */
export function retryAfterMs(
  header: string | null,
  capMs: number,
  now = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    // An HTTP date names its day and month; a bare number that is not delta-seconds is junk.
    const date = /[A-Za-z]/.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(ms, 0), capMs);
}
