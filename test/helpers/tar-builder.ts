import { gzipSync } from "node:zlib";

/**
 * Hand-made tar archives for the hostile-upload tests: any name, type, mode and declared size,
 * including what no well-behaved tar tool writes (`../` names, absolute paths, links out of the
 * folder, devices, setuid bits, a size larger than the data).
 */

export interface TarEntry {
  name: string;
  /** "0" file, "5" folder, "1" hard link, "2" symbolic link, "3"/"4" devices, "6" FIFO. */
  type?: string;
  mode?: number;
  body?: string | Buffer;
  linkname?: string;
  /** Declared size, when it must differ from the body's. */
  size?: number;
}

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value.slice(0, length), offset, length, "latin1");
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  field(h, 0, 100, entry.name);
  field(h, 100, 8, octal(entry.mode ?? (entry.type === "5" ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(1_700_000_000, 12));
  field(h, 148, 8, "        ");
  field(h, 156, 1, entry.type ?? "0");
  field(h, 157, 100, entry.linkname ?? "");
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** A pax extended header ("x") setting the next entry's path: a name no 100-byte field limits. */
export function paxPath(name: string): TarEntry {
  const record = (length: number) => `${length} path=${name}\n`;
  let length = record(0).length;
  while (record(length).length !== length) length = record(length).length;
  return { name: "PaxHeader", type: "x", body: record(length) };
}

/** A GNU long-name entry ("L") naming the next entry. */
export function gnuLongName(name: string): TarEntry {
  return { name: "././@LongLink", type: "L", body: `${name}\0` };
}

export function tarOf(entries: TarEntry[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? "");
    parts.push(header(entry, entry.size ?? body.length), body);
    const pad = (512 - (body.length % 512)) % 512;
    parts.push(Buffer.alloc(pad, 0));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

export function tgzOf(entries: TarEntry[], options: { end?: boolean } = {}): Buffer {
  return gzipSync(tarOf(entries, options));
}
