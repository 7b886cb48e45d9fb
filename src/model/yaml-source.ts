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

/** Keys that name a JavaScript object's machinery: refused anywhere, whatever they would mean. */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Aliases expand a small file into a huge document ("billion laughs"): each is weighed. */
const MAX_ALIAS_COUNT = 100;

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
      message: /call stack/i.test(error.message)
        ? "YAML syntax: nested too deeply"
        : `YAML syntax: ${error.message.split("\n")[0]}`,
      hint: "check indentation and quoting near this line",
    };
  });
  // Duplicates are found here rather than by the parser so that their path can be named and
  // the rest of the file is still checked.
  const duplicates: Diagnostic[] = [];
  const reserved: Diagnostic[] = [];
  if (errors.length === 0) {
    visit(doc, {
      Map(_, map, ancestry) {
        const seen = new Set<string>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (RESERVED_KEYS.has(key)) {
            const { line, column } = position(pair.key.range?.[0] ?? 0);
            reserved.push({
              code: "RESERVED_KEY",
              severity: "error",
              file,
              line,
              column,
              path: formatPath([...pathOf([...ancestry, map]), key]),
              message: `"${key}" cannot be used as a name or key`,
              hint: "rename it: __proto__, constructor and prototype are reserved",
            });
          }
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

  const fatal = [...errors, ...reserved];
  let data: unknown;
  if (fatal.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      fatal.push(aliasLimit(file, doc, position));
    }
  }
  return { file, data, errors: [...fatal, ...duplicates], locate };
}

/** The expansion limit was hit: located at the first alias, where the expansion starts. */
function aliasLimit(
  file: string,
  doc: ReturnType<typeof parseDocument>,
  position: (offset: number) => { line: number; column: number },
): Diagnostic {
  let offset = 0;
  visit(doc, {
    Alias(_, alias) {
      offset = alias.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return {
    code: "YAML_ALIAS_LIMIT",
    severity: "error",
    file,
    ...position(offset),
    path: "",
    message: `aliases expand to more than ${MAX_ALIAS_COUNT} nodes (a "billion laughs" document?)`,
    hint: "write the values out, or use fewer aliases",
  };
}

/** A YAML file parsed with positions kept, so that any problem can be located. */
export function parseYaml(file: string, text: string): YamlSource {
  return parsePrecisely(file, text);
}
