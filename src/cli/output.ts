import type { CommanderError } from "commander";
import { ExitCode, HiltError, InvalidConfigError, toHiltError } from "../errors.js";
import { formatDiagnostic } from "../model/diagnostics.js";
import { failureResult } from "../report/failure-result.js";
import { HINT_SEPARATOR } from "./flags.js";

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

/** `https://user:token@host` → `https://***@host`: a flag value may carry a secret. */
export function redactCredentials(text: string): string {
  return text.replace(/\/\/[^/\s@'"]+@/g, "//***@");
}

/** A usage error found by commander (unknown option or command, bad or missing value). */
export function usageError(error: CommanderError, command: string): HiltError {
  const text = redactCredentials(error.message.replace(/^error: /, "").trim());
  const [said = text, hint] = text.split(HINT_SEPARATOR);
  // "option '--sha <sha>' argument 'x' is invalid. why" → `--sha "x": why`
  const bad = /^option '(-\S+ )?(--[\w-]+)[^']*' argument '(.*)' is invalid\. (.*)$/s.exec(said);
  const message = bad ? `${bad[2]} ${JSON.stringify(bad[3])}: ${bad[4]}` : said;
  return new HiltError(
    error.code === "commander.invalidArgument" ? "INVALID_ARGUMENT" : "USAGE",
    message,
    { hint: hint ?? `run \`${command} --help\` for what it accepts`, cause: error },
  );
}
