import { createHash, timingSafeEqual } from "node:crypto";
import { HiltError } from "../errors.js";
import { readRegularFile } from "../fs/untrusted.js";

export type Scope = "read" | "build";

export interface TokenEntry {
  /** Names the token in logs and job owners: a prefix of its hash, never the token. */
  id: string;
  scopes: ReadonlySet<Scope>;
  hash: Buffer;
}

const MIN_TOKEN_LENGTH = 16;
const SCOPE_NAMES: Readonly<Record<string, Scope[]>> = {
  read: ["read"],
  build: ["read", "build"],
};

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function invalid(where: string, message: string): HiltError {
  return new HiltError("INVALID_TOKENS", `${where}: ${message}`, {
    hint: "one token per line or comma: TOKEN (read and build) or TOKEN:read, at least 16 characters",
  });
}

/**
 * Tokens as `TOKEN[:read|build]`, separated by commas, whitespace or newlines; `#` starts a
 * comment line. A bare token may read and build; `:read` may only read.
 */
export function parseTokens(text: string, where: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const lines = text.split(/\r?\n/).filter((line) => !line.trimStart().startsWith("#"));
  for (const [index, item] of lines
    .join(",")
    .split(/[\s,]+/)
    .filter(Boolean)
    .entries()) {
    const colon = item.lastIndexOf(":");
    const token = colon < 0 ? item : item.slice(0, colon);
    const scopeName = colon < 0 ? "build" : item.slice(colon + 1);
    const scopes = Object.hasOwn(SCOPE_NAMES, scopeName) ? SCOPE_NAMES[scopeName] : undefined;
    if (!scopes) throw invalid(where, `entry ${index + 1} has an unknown scope (read or build)`);
    if (token.length < MIN_TOKEN_LENGTH)
      throw invalid(where, `entry ${index + 1} is shorter than ${MIN_TOKEN_LENGTH} characters`);
    const hash = sha256(token);
    entries.push({ id: `tok-${hash.toString("hex").slice(0, 10)}`, scopes: new Set(scopes), hash });
  }
  return entries;
}

/** Tokens from HILT_SERVE_TOKENS and from `--tokens-file` (a regular file, size-capped). */
export function loadTokens(options: { file?: string; env?: string }): TokenEntry[] {
  const tokens: TokenEntry[] = [];
  if (options.env) tokens.push(...parseTokens(options.env, "HILT_SERVE_TOKENS"));
  if (options.file) {
    const text = readRegularFile(options.file, { maxBytes: 1024 * 1024 }).toString("utf8");
    const fromFile = parseTokens(text, options.file);
    if (fromFile.length === 0) throw invalid(options.file, "holds no token");
    tokens.push(...fromFile);
  }
  return tokens;
}

/**
 * The entry a presented token matches. Every entry is compared (no early exit) over fixed-length
 * hashes, so the time taken says nothing about how close a guess was.
 */
export function matchToken(
  tokens: readonly TokenEntry[],
  presented: string,
): TokenEntry | undefined {
  const hash = sha256(presented);
  let found: TokenEntry | undefined;
  for (const entry of tokens) if (timingSafeEqual(entry.hash, hash) && !found) found = entry;
  return found;
}
