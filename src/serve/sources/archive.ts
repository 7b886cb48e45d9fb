import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { type ReadEntry, Unpack } from "tar";
import { HiltError, toHiltError } from "../../errors.js";
import {
  type ArchiveLimits,
  archiveFormat,
  checkEntry,
  isTarHeader,
  type Tally,
  tooLarge,
} from "./archive-policy.js";

export interface UnpackedArchive {
  format: "tar+gzip" | "tar";
  /** The upload's size and digest (what the caller sent). */
  bytes: number;
  sha256: string;
  entries: number;
  /** The tar stream's size after decompression. */
  unpackedBytes: number;
}

function invalid(why: string): HiltError {
  return new HiltError("ARCHIVE_INVALID", `the body is not a usable archive: ${why}`, {
    hint: "send a .tar.gz or .tar of the repository (tar -C repo -czf src.tgz .)",
  });
}

/**
 * Counts the tar stream (a gzip bomb ends at the cap, not on a full disk) and checks that it
 * starts as a tar: a second compression layer inside the gzip is refused, not unpacked again.
 */
function tarStream(maxBytes: number, seen: { bytes: number }): Transform {
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen.bytes += chunk.length;
      if (seen.bytes > maxBytes) return done(tooLarge(maxBytes));
      if (head === undefined) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 512) return done();
      if (!isTarHeader(head)) return done(invalid("the gzip does not hold a tar"));
      const all = head;
      head = undefined;
      done(null, all);
    },
    flush(done) {
      if (head !== undefined) return done(invalid("it ends before the first tar header"));
      done();
    },
  });
}

/**
 * Unpacks an uploaded .tar.gz or .tar into `dir` (created), each entry checked by its header
 * before anything is written (archive-policy.ts). On any refusal it throws and `dir` holds a
 * partial tree: the caller removes it.
 */
export async function unpackArchive(
  body: Buffer,
  dir: string,
  limits: ArchiveLimits,
): Promise<UnpackedArchive> {
  const format = archiveFormat(body.subarray(0, 512));
  if (!format) throw invalid("neither gzip nor tar");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tally: Tally = { entries: 0, bytes: 0 };
  const seen = { bytes: 0 };
  let refusal: HiltError | undefined;
  const unpack = new Unpack({
    cwd: dir,
    strict: true,
    preserveOwner: false,
    // Modes come from the archive minus the umask; setuid/setgid entries were refused already.
    processUmask: 0o022,
    maxDepth: 256,
    filter: (_path, entry) => {
      if (refusal) return false;
      try {
        checkEntry(entry as ReadEntry, tally, limits);
        return true;
      } catch (error) {
        refusal = toHiltError(error);
        unpack.abort(refusal);
        return false;
      }
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    unpack.on("close", () => resolve());
    unpack.on("error", (error: unknown) => reject(error));
  });
  const source = Readable.from([body]);
  const stages =
    format === "tar+gzip"
      ? pipeline(source, createGunzip(), tarStream(limits.maxBytes, seen), unpack)
      : pipeline(source, tarStream(limits.maxBytes, seen), unpack);
  try {
    await Promise.all([stages, done]);
  } catch (error) {
    if (refusal) throw refusal;
    if (error instanceof HiltError) throw error;
    const code = (error as { code?: string }).code ?? "";
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR" || code.startsWith("ERR_"))
      throw invalid("the gzip stream is damaged or cut short");
    if (code === "TAR_BAD_ARCHIVE" || code === "TAR_ENTRY_INVALID")
      throw invalid("the tar is damaged or cut short");
    if (code === "ENOSPC") throw tooLarge(limits.maxBytes);
    throw invalid(`it could not be unpacked (${code || "unknown error"})`);
  }
  if (refusal) throw refusal;
  return {
    format,
    bytes: body.length,
    sha256: createHash("sha256").update(body).digest("hex"),
    entries: tally.entries,
    unpackedBytes: seen.bytes,
  };
}
