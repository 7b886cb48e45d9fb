import { ExitCode, type HiltError, InvalidConfigError, toHiltError } from "../errors.js";
import { formatDiagnostic } from "../model/diagnostics.js";
import { failureResult } from "../report/result-schema.js";

export interface OutputOptions {
  json?: boolean;
  /** Build commands answer with a result document even when nothing was built. */
  asResult?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Under --json a failure is still one JSON document on stdout; otherwise it goes to stderr. */
export function reportFailure(error: unknown, options: OutputOptions): number {
  const hilt: HiltError = toHiltError(error);
  const diagnostics = hilt instanceof InvalidConfigError ? hilt.diagnostics : [];
  if (options.json && options.asResult) {
    printJson({
      ...failureResult({ code: hilt.code, message: hilt.message, hint: hilt.hint }),
      ...(diagnostics.length > 0 ? { diagnostics } : {}),
    });
  } else if (options.json) {
    printJson({
      schemaVersion: 1,
      kind: "hilt.error",
      ok: false,
      error: { code: hilt.code, message: hilt.message, ...(hilt.hint ? { hint: hilt.hint } : {}) },
      diagnostics,
    });
  } else if (diagnostics.length > 0) {
    for (const d of diagnostics) log(formatDiagnostic(d));
    log(`hilt: ${diagnostics.length} problem${diagnostics.length === 1 ? "" : "s"} found`);
  } else {
    log(`hilt: error ${hilt.code}: ${hilt.message}`);
    if (hilt.hint) log(`hint: ${hilt.hint}`);
    if (process.env.HILT_DEBUG && hilt.cause)
      log(String((hilt.cause as Error).stack ?? hilt.cause));
  }
  return hilt.exitCode ?? ExitCode.internal;
}
