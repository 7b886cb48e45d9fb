import { fileSystemError, HiltError } from "../errors.js";
import { readRegularFile } from "../fs/untrusted.js";
import type { Diagnostic } from "./diagnostics.js";

/** A catalog or pipeline larger than this is a mistake (a 1,000-image catalog is ~100 kB). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export type ConfigText = { ok: true; text: string } | { ok: false; error: Diagnostic };

function problem(
  file: string,
  code: string,
  message: string,
  hint: string,
  at = { line: 1, column: 1 },
): ConfigText {
  return {
    ok: false,
    error: { code, severity: "error", file, ...at, path: "", message, hint },
  };
}

/** Line and column (both from 1) of a byte offset, counting characters, not bytes. */
function positionOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, offset));
  return { line, column: [...prefix].length + 1 };
}

/**
 * Bytes → text, refusing what is not UTF-8 (a UTF-16 file, stray Latin-1 bytes) with the place
 * of the first bad byte, rather than reading replacement characters as keys. A UTF-8 byte order
 * mark is dropped.
 */
export function decodeConfigText(file: string, bytes: Uint8Array): ConfigText {
  const hint = "save the file as UTF-8";
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return problem(
      file,
      "NOT_UTF8",
      "the file is UTF-16 (it starts with its byte order mark), not UTF-8",
      hint,
    );
  const body =
    bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(body);
  // Re-encoding gives back the same bytes up to the first invalid sequence.
  const again = Buffer.from(text, "utf8");
  if (again.length === body.length && again.equals(body)) return controlCharacters(file, text);
  let offset = 0;
  while (offset < body.length && body[offset] === again[offset]) offset++;
  // A sequence can start with a valid lead byte: back up to it.
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const decodes = (end: number) => {
    try {
      strict.decode(body.subarray(0, end));
      return true;
    } catch {
      return false;
    }
  };
  while (offset > 0 && !decodes(offset)) offset--;
  return problem(
    file,
    "NOT_UTF8",
    `the file is not UTF-8: byte 0x${(body[offset] ?? 0).toString(16).padStart(2, "0")} at offset ${offset} is not valid UTF-8`,
    hint,
    positionOf(body, offset),
  );
}

/** YAML allows no raw control characters but tab, newline and carriage return. */
function controlCharacters(file: string, text: string): ConfigText {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  const found = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (!found) return { ok: true, text };
  const before = text.slice(0, found.index);
  const line = before.split("\n").length;
  const column = [...before.slice(before.lastIndexOf("\n") + 1)].length + 1;
  const code = found[0].charCodeAt(0).toString(16).padStart(2, "0");
  return problem(
    file,
    "CONTROL_CHARACTER",
    `the file holds a control character (0x${code}), which YAML does not allow`,
    "remove it; write \\t or \\n escapes inside double quotes if you meant one",
    { line, column },
  );
}

/** A catalog or pipeline file as text: a regular file, under the size cap, in UTF-8. */
export function readConfigText(file: string): ConfigText {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, { maxBytes: MAX_CONFIG_BYTES });
  } catch (error) {
    if (error instanceof HiltError)
      return problem(
        file,
        String(error.code),
        error.message,
        error.code === "FILE_TOO_LARGE"
          ? `a catalog or pipeline holds at most ${MAX_CONFIG_BYTES} bytes; split it, or name the right file`
          : "name a regular file (not a folder, FIFO or device)",
      );
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      return problem(
        file,
        "FILE_NOT_FOUND",
        "file does not exist",
        "run from the repository root, or pass --catalog PATH",
      );
    const reason = fileSystemError(error)?.message ?? `cannot be read (${code ?? "unknown"})`;
    return problem(file, "FILE_UNREADABLE", `cannot read file: ${reason}`, "check its permissions");
  }
  return decodeConfigText(file, bytes);
}
