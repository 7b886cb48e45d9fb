import { EventEmitter } from "node:events";

/**
 * Wakes this instance's SSE followers when the runner stored an event or finished a job, so they
 * need not poll the store (they still poll slowly: a job may run on another instance).
 */
export class JobSignals {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Hundreds of followers of one job are expected, not a leak.
    this.emitter.setMaxListeners(0);
  }

  changed(jobId: string): void {
    this.emitter.emit(jobId);
  }

  /** Resolves at the next change of the job, or after `ms`, or when `signal` aborts. */
  next(jobId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(jobId, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(jobId, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
