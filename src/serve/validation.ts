import type { z } from "zod";
import { HiltError } from "../errors.js";

/** A zod failure as one 400: each problem as `where.path: message`, no input echoed. */
export function invalidRequest(where: string, error: z.ZodError): HiltError {
  const problems = error.issues.slice(0, 10).map((issue) => {
    const at = [where, ...issue.path.map(String)].join(".");
    return `${at}: ${issue.message}`.slice(0, 300);
  });
  return new HiltError("INVALID_REQUEST", problems.join("; "), {
    hint: "GET /openapi.json describes every request",
  });
}
