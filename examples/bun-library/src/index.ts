const COMBINING = /[\u0300-\u036f]/g;

export interface SlugOptions {
  separator?: string;
  maxLength?: number;
}

export function slugify(input: string, { separator = "-", maxLength = 80 }: SlugOptions = {}) {
  return input
    .normalize("NFKD")
    .replace(COMBINING, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .replace(new RegExp(`^${separator}+|${separator}+$`, "g"), "")
    .slice(0, maxLength);
}
