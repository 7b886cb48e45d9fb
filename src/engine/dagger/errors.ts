import { ExitCode, HiltError } from "../../errors.js";

/** What an SDK ExecError carries (duck-typed: the SDK is loaded lazily). */
interface ExecFailure {
  cmd: string[];
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

function isExecFailure(error: unknown): error is ExecFailure {
  const e = error as Partial<ExecFailure> | undefined;
  return Array.isArray(e?.cmd) && typeof e?.exitCode === "number";
}

/** Dagger's object IDs: long base64 runs that say nothing to a reader. */
const OPAQUE = /[A-Za-z0-9+/_-]{80,}={0,2}/g;

function lastLines(text: string, count: number, width = 300): string {
  return text
    .replace(OPAQUE, "…")
    .trim()
    .split("\n")
    .slice(-count)
    .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l))
    .join("\n");
}

/** The command as a reader wrote it: `sh -c "x"` shows x. */
function commandText(cmd: readonly string[]): string {
  const shown = cmd[0] === "sh" && cmd[1] === "-c" && cmd.length === 3 ? cmd[2] : cmd.join(" ");
  return (shown ?? "").length > 200 ? `${(shown ?? "").slice(0, 200)}…` : (shown ?? "");
}

/**
 * A failed Dagger build as a reader needs it: which image, which step and command, the exit
 * code and the end of the command's output, instead of the SDK's message with its IDs.
 */
export function readableFailure(
  image: string,
  error: unknown,
  describeStep: (cmd: readonly string[]) => string | undefined,
): HiltError {
  if (error instanceof HiltError) return error;
  if (isExecFailure(error)) {
    const step = describeStep(error.cmd);
    const output = lastLines(`${error.stdout ?? ""}\n${error.stderr ?? ""}`, 15);
    return new HiltError(
      "BUILD_FAILED",
      `dagger build of ${image} failed${step ? ` at ${step}` : ""}: \`${commandText(error.cmd)}\` exit code: ${error.exitCode}${output ? `\n${output}` : ""}`,
      {
        hint: "the lines above are the end of the step's output",
        details: { log: lastLines(`${error.stdout ?? ""}\n${error.stderr ?? ""}`, 30) },
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HiltError(
    "BUILD_FAILED",
    `dagger build of ${image} failed: ${lastLines(message, 12) || "no message"}`,
    { hint: "run with HILT_DEBUG=1 to see the engine's log" },
  );
}

export function interrupted(image: string): HiltError {
  return new HiltError("INTERRUPTED", `${image}: build interrupted`, {
    exitCode: ExitCode.interrupted,
  });
}
