import { InvalidArgumentError } from "commander";
import { HINT_SEPARATOR } from "../cli/flags.js";

/** Parsers of `hilt serve`'s flag values (commander prefixes the flag and the value). */

function invalid(why: string, hint: string): InvalidArgumentError {
  return new InvalidArgumentError(`${why}${HINT_SEPARATOR}${hint}`);
}

function integer(value: string, min: number, max: number, example: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max)
    throw invalid(`it is not a whole number from ${min} to ${max}`, example);
  return Number(value);
}

export const port = (value: string) =>
  integer(value, 0, 65535, "e.g. --port 8080 (0: any free port)");
export const jobConcurrency = (value: string) =>
  integer(value, 1, 64, "e.g. --concurrency 2 (jobs run at once)");
export const requestsPerSecond = (value: string) =>
  integer(value, 1, 100_000, "e.g. --rate-limit 20 (requests per second per token)");
export const bodyBytes = (value: string) =>
  integer(value, 1024, 1024 * 1024 * 1024, "e.g. --max-body 1048576 (bytes)");

/** `--cors-origin https://app.example.com` (repeatable): exact origins, never "*". */
export function corsOrigin(value: string, previous: string[] = []): string[] {
  const hint = "name an origin: scheme://host[:port], e.g. https://app.example.com";
  if (value === "*") throw invalid('"*" would let any web page call the API', hint);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("it is not an origin", hint);
  }
  if (!/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, ""))
    throw invalid("it is not an origin (scheme://host[:port], no path)", hint);
  return [...previous, url.origin];
}

export function workerId(value: string): string {
  if (!/^[A-Za-z0-9._:@-]{1,100}$/.test(value))
    throw invalid("it is not a worker id", "letters, digits and . _ : @ - (1 to 100)");
  return value;
}

// --- job sources (git URLs, uploaded archives: src/serve/sources) ---

export const gitTimeout = (value: string) =>
  integer(value, 1, 24 * 3600, "e.g. --git-timeout 300 (seconds for one clone)");
export const sourceBytes = (value: string) =>
  integer(value, 1024, 2 ** 40, "e.g. --source-max-bytes 1073741824 (bytes on disk per job)");
export const archiveEntries = (value: string) =>
  integer(value, 1, 10_000_000, "e.g. --archive-max-entries 50000");

/** `--git-allow-host github.com` / `--git-allow-insecure-host 127.0.0.1` (repeatable). */
export function gitHost(value: string, previous: string[] = []): string[] {
  const host = value.toLowerCase();
  if (!/^(\[[0-9a-f:.]{2,45}\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)$/.test(host))
    throw invalid("it is not a host name or IP address", "e.g. 127.0.0.1, [::1] or git.internal");
  return [...previous, host];
}
// --- end job sources ---

export const retainDays = (value: string) =>
  integer(value, 0, 36_500, "e.g. --retain-days 30 (0: no age limit)");
export const retainJobs = (value: string) =>
  integer(value, 0, 100_000_000, "e.g. --retain-jobs 10000 (0: no count limit)");
