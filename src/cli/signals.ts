import { ExitCode } from "../errors.js";
import { killAllChildren } from "../host/exec.js";

export interface Interruption {
  /** The first signal that arrived, if any. */
  received(): NodeJS.Signals | undefined;
  /** Ends the handling (call once the run and its cleanup are over). */
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Ctrl-C, SIGTERM and SIGHUP abort `controller`; the run then ends its children, removes its
 * temporary files and still reports. Handlers stay installed until `dispose`, so a second
 * signal cannot kill Hilt halfway through that cleanup: it only hurries it, by ending every
 * child process group at once (SIGKILL) instead of waiting for their grace period.
 */
export function handleInterrupts(
  controller: AbortController,
  log: (line: string) => void,
): Interruption {
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = signal;
      log(`hilt: ${signal}: stopping, finishing the report (again to end child processes now)`);
      controller.abort();
      return;
    }
    log(`hilt: ${signal} again: ending child processes now; temporary files are still removed`);
    killAllChildren();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    received: () => first,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      // Interrupted and cleaned up: Hilt is only exiting now. A late repeat of the signal must
      // not turn exit 130 into death by signal.
      if (first !== undefined)
        for (const signal of SIGNALS) process.on(signal, () => process.exit(ExitCode.interrupted));
    },
  };
}
