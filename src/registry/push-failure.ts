import type { ErrorCode } from "../errors.js";

/**
 * Why a `docker buildx build --push` failed: the registry refused the credentials (`auth`), could
 * not be reached or timed out (`unavailable`), answered the push with another error (`registry`),
 * or the build itself failed before anything was pushed (`build`).
 */
export type PushFailureKind = "auth" | "unavailable" | "registry" | "build";

export interface PushFailure {
  kind: PushFailureKind;
  /** BuildKit's own error line, without the `ERROR:` prefix. */
  reason: string;
}

const AUTH =
  /\b(?:401|403)\b|unauthori[sz]ed|no basic auth credentials|authentication required|\bdenied\b|insufficient_scope|forbidden/i;
const UNAVAILABLE =
  /connection refused|connection reset|broken pipe|i\/o timeout|timed? ?out|deadline exceeded|no such host|network is unreachable|no route to host|tls handshake|server misbehaving|unexpected EOF|: EOF\b|\b50[0-4]\b|internal server error|bad gateway|service unavailable|too ?many ?requests|\b429\b/i;

/** The step number (`#7`) whose title says it pushes or exports the image. */
function pushSteps(lines: readonly string[]): Set<string> {
  const steps = new Set<string>();
  for (const line of lines) {
    const match = /^(#\d+) (pushing |exporting to image|exporting manifest|exporting config)/.exec(
      line,
    );
    if (match?.[1]) steps.add(match[1]);
  }
  return steps;
}

/** Classifies the stderr of a failed `docker buildx build --push --progress plain`. */
export function classifyPushFailure(stderr: string): PushFailure {
  const lines = stderr.split(/\r?\n/);
  const final = lines.findLast((l) => l.startsWith("ERROR: "))?.slice("ERROR: ".length) ?? "";
  const steps = pushSteps(lines);
  const stepError = lines.find((l) => {
    const match = /^(#\d+) ERROR: /.exec(l);
    return match?.[1] !== undefined && steps.has(match[1]);
  });
  // A docker-container builder reports a push error as part of the solve: "failed to push".
  const solveReason = final.replace(/^failed to solve: /, "");
  const pushing = stepError !== undefined || /^failed to (?:push|export)\b/i.test(solveReason);
  const reason = stepError?.replace(/^#\d+ ERROR: /, "") ?? solveReason;
  if (!pushing) return { kind: "build", reason: solveReason || "unknown error" };
  if (AUTH.test(reason)) return { kind: "auth", reason };
  if (UNAVAILABLE.test(reason)) return { kind: "unavailable", reason };
  return { kind: "registry", reason };
}

/** The error code a push failure of this kind is reported with. */
export function pushFailureCode(kind: PushFailureKind): ErrorCode {
  switch (kind) {
    case "auth":
      return "REGISTRY_AUTH_FAILED";
    case "unavailable":
      return "REGISTRY_UNAVAILABLE";
    case "registry":
      return "REGISTRY_ERROR";
    case "build":
      return "BUILD_FAILED";
  }
}
