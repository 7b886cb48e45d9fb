import { createHash } from "node:crypto";

/**
 * Version of the input hash's meaning, for catalog and service nodes alike: bumped when what the
 * hash covers changes, so old content tags stop matching. 2: Dockerfile texts, context digests as
 * BuildKit sends them, base image digests.
 */
export const HASH_VERSION = 2;

/** JSON with sorted keys and no undefined: equal values give equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}
