/** A catalog of `total` images in `levels` levels, each level fanning out from the one above. */
export function generateCatalog(total: number, levels: number): string {
  const lines = ["schemaVersion: 1", "images:"];
  const perLevel = [1, 4, 45, 250];
  let made = 0;
  const byLevel: string[][] = [];
  for (let level = 0; level < levels; level++) {
    const count = level < levels - 1 ? (perLevel[level] ?? 1) : total - made;
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `l${level}-img-${i}`;
      const parents = byLevel[level - 1];
      const from = parents ? parents[i % parents.length] : "debian:bookworm-slim";
      lines.push(`  ${name}:`, `    from: ${from}`, `    provides: [cap-${level}]`, "    steps:");
      lines.push(
        `      - apt: [pkg-${i}, common]`,
        `      - env: { LEVEL: "${level}", INDEX: "${i}" }`,
        `      - run: echo ${name}`,
      );
      names.push(name);
    }
    made += count;
    byLevel.push(names);
  }
  return `${lines.join("\n")}\n`;
}
