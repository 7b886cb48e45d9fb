import { CORE_SCHEMA, load } from "js-yaml";
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import type { Diagnostic } from "./diagnostics.js";

export type PathSegment = string | number;

/** A parsed YAML file that can say where any path in it was written. */
export interface YamlSource {
  file: string;
  data: unknown;
  errors: Diagnostic[];
  locate(path: readonly PathSegment[], at?: "key" | "value"): { line: number; column: number };
}

export function formatPath(path: readonly PathSegment[]): string {
  return path.map(String).join(".");
}

/** The path of the last node of an ancestry chain as given by yaml's visit(). */
function pathOf(chain: readonly unknown[]): PathSegment[] {
  const out: PathSegment[] = [];
  chain.forEach((node, i) => {
    const next = chain[i + 1];
    if (isPair(node) && isScalar(node.key)) out.push(String(node.key.value));
    else if (isSeq(node) && next !== undefined) out.push(node.items.indexOf(next as never));
  });
  return out;
}

function parsePrecisely(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const errors: Diagnostic[] = doc.errors.map((error) => {
    const { line, column } = position(error.pos[0]);
    return {
      code: "YAML_SYNTAX",
      severity: "error",
      file,
      line,
      column,
      path: "",
      message: `YAML syntax: ${error.message.split("\n")[0]}`,
      hint: "check indentation and quoting near this line",
    };
  });
  // Duplicates are found here rather than by the parser so that their path can be named and
  // the rest of the file is still checked.
  const duplicates: Diagnostic[] = [];
  if (errors.length === 0) {
    visit(doc, {
      Map(_, map, ancestry) {
        const seen = new Set<string>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (!seen.has(key)) {
            seen.add(key);
            continue;
          }
          const parentPath = pathOf([...ancestry, map]);
          const { line, column } = position(pair.key.range?.[0] ?? 0);
          duplicates.push({
            code: "DUPLICATE_KEY",
            severity: "error",
            file,
            line,
            column,
            path: formatPath([...parentPath, key]),
            message: `"${key}" is defined twice`,
            hint: "each name may appear once; rename or merge the two entries",
          });
        }
      },
    });
  }

  const locate = (path: readonly PathSegment[], at: "key" | "value" = "value") => {
    let node: unknown = doc.contents;
    let best = node as Node | null;
    let keyNode: Node | null = null;
    for (const segment of path) {
      keyNode = null;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
        best = (pair.value as Node | null) ?? keyNode;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
        if (!node) break;
        best = node as Node;
      } else {
        break;
      }
    }
    const target = at === "key" && keyNode ? keyNode : best;
    return target?.range ? position(target.range[0]) : { line: 1, column: 1 };
  };

  return {
    file,
    data: errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 1000 }),
    errors: [...errors, ...duplicates],
    locate,
  };
}

/**
 * Valid files take the fast path (js-yaml, several times quicker on big catalogs); the
 * position-keeping parse runs only when a problem must be located, or the fast parse fails.
 */
export function parseYaml(file: string, text: string): YamlSource {
  let data: unknown;
  try {
    data = load(text, { schema: CORE_SCHEMA, filename: file });
  } catch {
    return parsePrecisely(file, text);
  }
  let precise: YamlSource | undefined;
  return {
    file,
    data: data ?? null,
    errors: [],
    locate: (path, at) => {
      precise ??= parsePrecisely(file, text);
      return precise.locate(path, at);
    },
  };
}
