import { HiltError } from "../../errors.js";

/**
 * Which entries of an uploaded tar are unpacked (pure: decides on the header alone, before a
 * byte of the entry is written). Only regular files and folders, at relative paths without `..`,
 * files without setuid/setgid bits and outside any `.git` folder (a repository's own git config could
 * make Hilt's `git log` run a command). Links and devices are refused outright: no link can then
 * lead a later entry, or a later reader, outside the job's folder.
 */

export interface ArchiveLimits {
  /** Largest uncompressed tar stream (headers included): also the disk it can take. */
  maxBytes: number;
  maxEntries: number;
}

/** What node-tar's header tells about an entry (pax and GNU long names already applied). */
export interface EntryHeader {
  path: string;
  type: string;
  mode?: number | undefined;
  size?: number | undefined;
}

export interface Tally {
  entries: number;
  bytes: number;
}

const KINDS: Readonly<Record<string, string>> = {
  SymbolicLink: "a symbolic link",
  Link: "a hard link",
  CharacterDevice: "a character device",
  BlockDevice: "a block device",
  FIFO: "a FIFO",
};

const ALLOWED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory"]);

function shown(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  return JSON.stringify(name.slice(0, 200).replace(/[\u0000-\u001f\u007f]/g, "?"));
}

function refused(name: string, why: string, hint: string): HiltError {
  return new HiltError("ARCHIVE_ENTRY_REFUSED", `archive entry ${shown(name)}: ${why}`, { hint });
}

/** Throws the reason the entry is refused, or counts it against the limits. */
export function checkEntry(header: EntryHeader, tally: Tally, limits: ArchiveLimits): void {
  const name = header.path;
  const pathHint = "archive the repository from its own folder (tar -C repo -czf src.tgz .)";
  if (!ALLOWED_TYPES.has(header.type))
    throw refused(
      name,
      `${KINDS[header.type] ?? `an entry of type ${header.type}`} is not accepted`,
      "only regular files and folders are unpacked: replace links with the files they name",
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  if (name === "" || /[\u0000-\u001f\u007f\\]/.test(name))
    throw refused(name, "an empty name, control characters or backslashes", pathHint);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name))
    throw refused(name, "an absolute path", pathHint);
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) throw refused(name, "a .. segment leads outside the folder", pathHint);
  if (parts.some((part) => part.toLowerCase() === ".git"))
    throw refused(
      name,
      "a .git folder is not accepted (its config could run commands)",
      "upload `git archive --format=tar.gz HEAD` or tar with --exclude=.git",
    );
  // A folder's setgid bit only passes its group on (common on shared folders): not refused.
  if (header.type !== "Directory" && ((header.mode ?? 0) & 0o6000) !== 0)
    throw refused(
      name,
      "setuid or setgid bit set",
      "clear the bits (chmod ug-s) and archive again",
    );
  tally.entries += 1;
  if (tally.entries > limits.maxEntries)
    throw new HiltError(
      "ARCHIVE_TOO_MANY_ENTRIES",
      `the archive has more than ${limits.maxEntries} entries`,
      { hint: "upload fewer files (hilt serve --archive-max-entries raises the limit)" },
    );
  tally.bytes += header.size ?? 0;
  if (tally.bytes > limits.maxBytes) throw tooLarge(limits.maxBytes);
}

export function tooLarge(maxBytes: number): HiltError {
  return new HiltError("SOURCE_TOO_LARGE", `the archive unpacks to more than ${maxBytes} bytes`, {
    hint: "upload a smaller archive (hilt serve --source-max-bytes raises the limit)",
  });
}

/** The format of an upload from its first bytes: gzip, or a POSIX/GNU tar ("ustar" magic). */
export function archiveFormat(head: Buffer): "tar+gzip" | "tar" | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "tar+gzip";
  if (isTarHeader(head)) return "tar";
  return undefined;
}

export function isTarHeader(head: Buffer): boolean {
  return head.length >= 512 && head.subarray(257, 262).toString("latin1") === "ustar";
}
