/** A three-level catalog with four leaves and an unrelated root; steps take real time. */
export function conformanceCatalog(options: {
  nonce: string;
  midText?: string;
  failing?: string;
  leafSleep?: number;
}): string {
  const leaves = [1, 2, 3, 4]
    .map((i) => {
      const run =
        options.failing === `leaf-${i}`
          ? "exit 3"
          : `sleep ${options.leafSleep ?? 2} && echo leaf-${i} > /leaf`;
      return `  leaf-${i}:\n    from: mid\n    steps:\n      - run: ${run}\n    cmd: [cat, /leaf]\n`;
    })
    .join("");
  return `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - env: { NONCE: "${options.nonce}" }
      - run: sleep 2 && echo "$NONCE" > /nonce
  mid:
    from: base
    steps:
      - run: sleep 2 && echo ${options.midText ?? "mid"} > /mid
${leaves}  leaf-2-child:
    from: leaf-2
    steps:
      - run: cat /leaf /mid > /child
  side:
    from: debian:bookworm-slim
    steps:
      - run: sleep 1 && echo side > /side
`;
}
