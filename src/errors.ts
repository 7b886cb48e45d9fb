/** Exit codes are part of Hilt's contract: programs that spawn Hilt branch on them. */
export const ExitCode = {
  ok: 0,
  buildFailed: 1,
  usage: 2,
  invalidConfig: 3,
  engineUnavailable: 4,
  registry: 5,
  interrupted: 130,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface HiltErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: ExitCodeValue;
  details?: Record<string, unknown>;
}

/** Base of every error Hilt reports on purpose: a stable code, a message and a hint. */
export class HiltError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: HiltErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HiltError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.buildFailed;
    this.details = options.details;
  }
}

/** A process Hilt ran exited badly; carries everything needed to explain it. */
export class ExecError extends HiltError {
  readonly command: string;
  readonly args: readonly string[];
  readonly exitStatus: number | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    command: string,
    args: readonly string[],
    exitStatus: number | null,
    stdout: string,
    stderr: string,
    options: HiltErrorOptions = {},
  ) {
    const tail = stderr.trim().split("\n").slice(-5).join("\n");
    super("EXEC_FAILED", `${command} exited with ${exitStatus ?? "a signal"}: ${tail}`, options);
    this.name = "ExecError";
    this.command = command;
    this.args = args;
    this.exitStatus = exitStatus;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** Something Hilt assumed cannot happen did: a bug in Hilt, not in the user's input. */
export class InternalError extends HiltError {
  constructor(message: string, cause?: unknown) {
    super("INTERNAL", `internal error (a bug in Hilt): ${message}`, {
      cause,
      exitCode: ExitCode.internal,
      hint: "please report it with the command you ran and the output of --verbose",
    });
    this.name = "InternalError";
  }
}

export function toHiltError(error: unknown): HiltError {
  if (error instanceof HiltError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(message, error);
}
