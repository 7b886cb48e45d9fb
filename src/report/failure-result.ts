import type { HiltResult } from "./result-schema.js";

/** Its own module (no zod): every CLI start may print one, none should build the schema. */
export const RESULT_SCHEMA_VERSION = 1;

/** The document printed when a run fails before any image: still valid, still parseable. */
export function failureResult(
  error: { code: string; message: string; hint?: string | undefined },
  push = "none",
): HiltResult {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: "hilt.result",
    ok: false,
    engine: "none",
    push,
    images: [],
    client: null,
    server: null,
    ports: {},
    durationMs: 0,
    error: {
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
    },
  };
}
