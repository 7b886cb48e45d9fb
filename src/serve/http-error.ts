import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ExitCode, type HiltError, toHiltError } from "../errors.js";

/** Codes whose HTTP status is not their exit class's. */
const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  IDEMPOTENCY_CONFLICT: 409,
  REQUEST_TOO_LARGE: 413,
  FILE_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  // job sources (src/serve/sources): a repository the request names but this server could not
  // read (in time) is the request's problem (422), not a server fault
  SOURCE_TOO_LARGE: 413,
  ARCHIVE_TOO_MANY_ENTRIES: 413,
  GIT_FETCH_FAILED: 422,
  GIT_TIMEOUT: 422,
};

/** The status a failure class maps to: the caller's mistake is 4xx, the server's side 5xx. */
const STATUS_BY_EXIT: Readonly<Record<number, ContentfulStatusCode>> = {
  [ExitCode.usage]: 400,
  [ExitCode.invalidConfig]: 422,
  [ExitCode.buildFailed]: 422,
  [ExitCode.engineUnavailable]: 503,
  [ExitCode.registry]: 502,
  [ExitCode.interrupted]: 503,
  [ExitCode.internal]: 500,
};

export function httpStatus(error: HiltError): ContentfulStatusCode {
  return STATUS_BY_CODE[error.code] ?? STATUS_BY_EXIT[error.exitCode] ?? 500;
}

/** The one error body: `{error: {code, message, hint}}`, never a stack trace. */
export function errorBody(error: HiltError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
    },
  };
}

export function errorResponse(c: Context, error: unknown, headers?: Record<string, string>) {
  const hilt = toHiltError(error);
  return c.json(errorBody(hilt), httpStatus(hilt), headers);
}
