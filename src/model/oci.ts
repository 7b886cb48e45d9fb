// Image reference grammar of the OCI distribution spec (github.com/distribution/reference).
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:localhost|\[[0-9a-fA-F:]+\]|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*)(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME_LENGTH = 255;

export interface ImageReference {
  /** Registry host[:port], absent for Docker Hub short names. */
  domain: string | undefined;
  /** Repository path, e.g. `library/debian` or `owner/app`. */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isValidNameComponent(name: string): boolean {
  return COMPONENT.test(name);
}

export function isValidDomain(domain: string): boolean {
  return DOMAIN.test(domain);
}

function looksLikeDomain(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost" || /[A-Z]/.test(first);
}

export function parseReference(input: string): ParseResult<ImageReference> {
  if (input.trim() !== input || input === "") {
    return { ok: false, reason: "is empty or has surrounding spaces" };
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, reason: `has an invalid digest "${digest}"` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      return {
        ok: false,
        reason: `has an invalid tag "${tag}" (letters, digits, _ . - only, at most 128, not starting with . or -)`,
      };
    }
  }
  const parts = rest.split("/");
  let domain: string | undefined;
  if (parts.length > 1 && looksLikeDomain(parts[0] ?? "")) {
    domain = parts.shift();
    if (domain === undefined || !DOMAIN.test(domain)) {
      return { ok: false, reason: `has an invalid registry host "${domain}"` };
    }
  }
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      return {
        ok: false,
        reason: `has an invalid repository component "${part}" (lowercase letters, digits and single separators . _ __ - only)`,
      };
    }
  }
  const path = parts.join("/");
  if ((domain ? domain.length + 1 : 0) + path.length > MAX_NAME_LENGTH) {
    return { ok: false, reason: `is longer than ${MAX_NAME_LENGTH} characters` };
  }
  return { ok: true, value: { domain, path, tag, digest } };
}

export function formatReference(ref: ImageReference): string {
  const name = ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
  return `${name}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Lowercase, and replace what a repository component cannot hold, for names from elsewhere. */
export function toNameComponent(input: string): string {
  return input
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "")
    .replace(/[._-]{2,}/g, (m) => (m === "__" ? m : "-"));
}
