import { HiltError } from "../../errors.js";

/**
 * Which git URLs and refs a job may name (pure: no process, no network). A job's URL comes from
 * a remote caller: only https (and http:// or git:// from hosts the operator named), never a
 * local path, a remote helper (`ext::`), ssh (whose host or path could smuggle `-oProxyCommand`)
 * or credentials in the URL (refused, so none is ever stored, logged or shown back).
 */

export interface GitUrlPolicy {
  /** Hosts (lower case, IPv6 in brackets) allowed over plain http:// and git://. */
  insecureHosts: readonly string[];
  /**
   * When given and not empty, the only hosts sources come from (the insecure ones are allowed
   * too): a caller must not make the server reach hosts of its own network.
   */
  allowedHosts?: readonly string[];
}

export interface GitUrl {
  /** The URL as git receives it (normalized by the WHATWG parser). */
  url: string;
  scheme: "https" | "http" | "git";
}

const MAX_URL = 2048;
const HINT = "use an https:// URL of the repository with no user name or token in it";

/** What a message may show of a URL the caller sent: no user info, query or fragment. */
export function redactUrl(raw: string): string {
  const shown = raw
    .slice(0, 300)
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1***@")
    .replace(/[?#].*$/, "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
    .replace(/[\u0000-\u001f\u007f]/g, "?");
  return JSON.stringify(shown);
}

function refused(raw: string, why: string, hint = HINT): HiltError {
  return new HiltError("GIT_URL_REFUSED", `source.git ${redactUrl(raw)}: ${why}`, { hint });
}

export function checkGitUrl(raw: string, policy: GitUrlPolicy): GitUrl {
  if (raw.length === 0 || raw.length > MAX_URL)
    throw refused(raw, `not 1 to ${MAX_URL} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  if (/[\s\u0000-\u001f\u007f\\]/.test(raw))
    throw refused(raw, "it holds spaces or control characters");
  if (raw.startsWith("-")) throw refused(raw, "it starts with - (git would read an option)");
  // git's remote-helper syntax (ext::sh -c …, fd::…): runs a command, never allowed.
  if (/^[A-Za-z0-9+.-]*::/.test(raw))
    throw refused(raw, "remote helpers (ext::, fd::) run commands");
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw))
    throw refused(raw, "not a URL (local paths and scp-style host:path are refused)");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused(raw, "not a valid URL");
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const host = url.hostname.toLowerCase();
  if (url.username || url.password || raw.slice(0, raw.indexOf("/", 8) >>> 0).includes("@"))
    throw refused(
      raw,
      "credentials in the URL are refused (they would be stored with the job)",
      "use a public repository URL; private repositories are not supported yet",
    );
  if (url.search || url.hash || raw.includes("?") || raw.includes("#"))
    throw refused(raw, "a query or fragment is not part of a git URL");
  if (scheme !== "https" && scheme !== "http" && scheme !== "git")
    throw refused(raw, `the ${scheme}:// scheme is not allowed (file, ssh and others are refused)`);
  if (!host || host.startsWith("-") || host.startsWith("."))
    throw refused(raw, "it has no valid host name");
  const allowed = policy.allowedHosts ?? [];
  if (allowed.length > 0 && !allowed.includes(host) && !policy.insecureHosts.includes(host))
    throw refused(
      raw,
      `${host} is not among the hosts this server fetches from`,
      `use a repository on ${allowed.join(", ")}, or start the server with --git-allow-host ${host}`,
    );
  if (scheme !== "https" && !policy.insecureHosts.includes(host))
    throw refused(
      raw,
      `${scheme}:// is not encrypted`,
      `use https://, or start the server with --git-allow-insecure-host ${host}`,
    );
  return { url: url.href, scheme };
}

/** A full commit id (SHA-1 or SHA-256 object names). */
export const FULL_COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * A branch, a tag, `HEAD`, `refs/…` or a full commit id; what git check-ref-format refuses is
 * refused here too, plus anything that could be read as an option.
 */
export function checkGitRef(ref: string): string {
  const invalid = (why: string) =>
    new HiltError("GIT_REF_INVALID", `source.ref ${JSON.stringify(ref.slice(0, 100))}: ${why}`, {
      hint: "name a branch (main), a tag (v1.2.0) or a full 40-character commit id",
    });
  if (FULL_COMMIT.test(ref.toLowerCase())) return ref.toLowerCase();
  if (ref.length === 0 || ref.length > 255) throw invalid("not 1 to 255 characters");
  if (!/^[A-Za-z0-9._/+-]+$/.test(ref)) throw invalid("only letters, digits and . _ / + -");
  if (ref.startsWith("-")) throw invalid("it starts with -");
  if (/^\/|\/$|\/\/|\.\.|@\{|\.lock(\/|$)|(^|\/)\./.test(ref) || ref.endsWith("."))
    throw invalid("not a valid ref name");
  if (/^[0-9a-f]{7,39}$/.test(ref)) throw invalid("abbreviated commit ids are ambiguous");
  return ref;
}
