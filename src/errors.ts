import { type Diagnostic, formatDiagnostic } from "./model/diagnostics.js";

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

/**
 * Every stable error code and the class of failure (exit code) it belongs to. Programs branch on
 * these codes: add new ones here, never rename one.
 */
const ERROR_CODES = {
  // a build or a step of it failed
  BUILD_FAILED: ExitCode.buildFailed,
  EXEC_FAILED: ExitCode.buildFailed,
  PARENT_FAILED: ExitCode.buildFailed,
  TAG_FAILED: ExitCode.buildFailed,
  SIZE_BUDGET_EXCEEDED: ExitCode.buildFailed,
  PLATFORM_MISSING: ExitCode.buildFailed,
  // the caller's arguments or the repository handed to Hilt
  USAGE: ExitCode.usage,
  INVALID_ARGUMENT: ExitCode.usage,
  UNKNOWN_TARGET: ExitCode.usage,
  UNKNOWN_WAVE: ExitCode.usage,
  INVALID_PUSH_TARGET: ExitCode.usage,
  PLATFORM_UNSUPPORTED: ExitCode.usage,
  BUILDER_NOT_FOUND: ExitCode.usage,
  NO_SERVICES: ExitCode.usage,
  NO_CLIENT_SERVER_PAIR: ExitCode.usage,
  NOT_A_DIRECTORY: ExitCode.usage,
  NOT_A_RESULT: ExitCode.usage,
  PATH_NOT_FOUND: ExitCode.usage,
  PATH_UNREADABLE: ExitCode.usage,
  PATH_OUTSIDE_ROOT: ExitCode.usage,
  NOT_A_REGULAR_FILE: ExitCode.usage,
  FILE_TOO_LARGE: ExitCode.usage,
  UNSAFE_NAME: ExitCode.usage,
  DUPLICATE_SERVICE: ExitCode.usage,
  WOULD_OVERWRITE: ExitCode.usage,
  WRITE_FAILED: ExitCode.usage,
  UNREADABLE_RESULT: ExitCode.usage,
  CATALOG_REQUIRED: ExitCode.usage,
  // the catalog or pipeline files (diagnostic codes travel as InvalidConfigError's code)
  INVALID_CONFIG: ExitCode.invalidConfig,
  NO_RUNTIME_IMAGE: ExitCode.invalidConfig,
  NO_IMAGE_PROVIDES: ExitCode.invalidConfig,
  // the engine
  ENGINE_UNAVAILABLE: ExitCode.engineUnavailable,
  BUILDX_MISSING: ExitCode.engineUnavailable,
  // the registry
  REGISTRY_ERROR: ExitCode.registry,
  REGISTRY_AUTH_FAILED: ExitCode.registry,
  REGISTRY_UNAVAILABLE: ExitCode.registry,
  REGISTRY_TIMEOUT: ExitCode.registry,
  // the run was stopped
  INTERRUPTED: ExitCode.interrupted,
  // hilt serve's job queue (src/serve/store): its database cannot be opened or used
  QUEUE_UNAVAILABLE: ExitCode.engineUnavailable,
  // hilt serve's HTTP API: what a request or the server's own settings got wrong
  SERVE_TOKENS_REQUIRED: ExitCode.usage,
  INVALID_TOKENS: ExitCode.usage,
  UNAUTHORIZED: ExitCode.usage,
  FORBIDDEN: ExitCode.usage,
  NOT_FOUND: ExitCode.usage,
  METHOD_NOT_ALLOWED: ExitCode.usage,
  RATE_LIMITED: ExitCode.usage,
  REQUEST_TOO_LARGE: ExitCode.usage,
  INVALID_REQUEST: ExitCode.usage,
  IDEMPOTENCY_CONFLICT: ExitCode.usage,
  // hilt serve's job sources (src/serve/sources): a git URL to clone or an uploaded archive
  GIT_URL_REFUSED: ExitCode.usage,
  GIT_REF_INVALID: ExitCode.usage,
  GIT_REF_NOT_FOUND: ExitCode.usage,
  GIT_FETCH_FAILED: ExitCode.usage,
  GIT_TIMEOUT: ExitCode.usage,
  SOURCE_TOO_LARGE: ExitCode.usage,
  SOURCE_MISSING: ExitCode.usage,
  ARCHIVE_INVALID: ExitCode.usage,
  ARCHIVE_ENTRY_REFUSED: ExitCode.usage,
  ARCHIVE_TOO_MANY_ENTRIES: ExitCode.usage,
  // a bug in Hilt
  INTERNAL: ExitCode.internal,
} as const satisfies Record<string, ExitCodeValue>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes of catalog and pipeline diagnostics (model/); they all mean "invalid configuration". */
export type DiagnosticCode = string & { readonly diagnostic?: never };

export function exitCodeOf(code: ErrorCode | DiagnosticCode): ExitCodeValue {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : ExitCode.invalidConfig;
}

export interface HiltErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Only where one code can mean two classes; otherwise the code's own class applies. */
  exitCode?: ExitCodeValue;
  details?: Record<string, unknown>;
}

/** Base of every error Hilt reports on purpose: a stable code, a message and a hint. */
export class HiltError extends Error {
  readonly code: ErrorCode | DiagnosticCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: HiltErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HiltError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? exitCodeOf(code);
    this.details = options.details;
  }
}

/** A diagnostic-carrying configuration error keeps the first diagnostic's code. */
export class ConfigError extends HiltError {
  constructor(code: DiagnosticCode, message: string, options: HiltErrorOptions = {}) {
    super("INVALID_CONFIG", message, { ...options, exitCode: ExitCode.invalidConfig });
    (this as { code: string }).code = code;
    this.name = "ConfigError";
  }
}

/** Invalid catalog or pipeline files: carries every diagnostic for front ends to print. */
export class InvalidConfigError extends ConfigError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const first = diagnostics[0];
    const count = `${diagnostics.length} problem${diagnostics.length === 1 ? "" : "s"}`;
    super(
      first?.code ?? "INVALID_CONFIG",
      `${count} in ${first?.file ?? "configuration"}:\n${diagnostics.map(formatDiagnostic).join("\n")}`,
      { hint: first?.hint ?? "fix the file and run `hilt validate`" },
    );
    this.name = "InvalidConfigError";
    this.diagnostics = diagnostics;
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
      hint: "please report it with the command you ran and HILT_DEBUG=1 output",
    });
    this.name = "InternalError";
  }
}

/** Node's file-system errors that describe the user's files, not a bug in Hilt. */
const USER_FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "it does not exist",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  EISDIR: "it is a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
  ENOSPC: "no space left on the device",
  EEXIST: "it already exists",
  EMFILE: "too many open files",
};

/** The user-facing error for a failed file-system call on the user's own files, if it is one. */
export function fileSystemError(error: unknown): HiltError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !Object.hasOwn(USER_FS_ERRORS, code)) return undefined;
  const target = (error as NodeJS.ErrnoException).path ?? "a file";
  return new HiltError(
    code === "ENOENT" ? "PATH_NOT_FOUND" : "PATH_UNREADABLE",
    `${target}: ${USER_FS_ERRORS[code]} (${code})`,
    { cause: error, hint: "check the path and its permissions" },
  );
}

export function toHiltError(error: unknown): HiltError {
  if (error instanceof HiltError) return error;
  const fsError = fileSystemError(error);
  if (fsError) return fsError;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(message, error);
}
