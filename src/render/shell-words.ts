/** Words for sh: plain ones as they are, the rest in single quotes. */
export function shellWords(words: readonly string[]): string {
  return words.map(shellWord).join(" ");
}

export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A prune pattern for sh: its text quoted, only its `*` and `?` left to glob. */
export function globWord(pattern: string): string {
  return pattern
    .split(/([*?]+)/)
    .filter((part) => part !== "")
    .map((part) => (/^[*?]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`))
    .join("");
}
