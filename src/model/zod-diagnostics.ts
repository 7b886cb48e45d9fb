import type { z } from "zod";
import { didYouMean } from "../util/did-you-mean.js";
import type { Diagnostic } from "./diagnostics.js";
import type { IssueParams } from "./fields.js";
import { formatPath, type PathSegment, type YamlSource } from "./yaml-source.js";

type AnySchema = z.core.$ZodType;

/** Unwraps optional/default/pipe wrappers (and a union's one mapping) down to the shape. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as {
      type: string;
      innerType?: AnySchema;
      in?: AnySchema;
      options?: AnySchema[];
    };
    const mappings = def.options?.filter((o) => unwrap(o)._zod.def.type === "object") ?? [];
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else if (def.type === "union" && mappings.length === 1 && mappings[0]) current = mappings[0];
    else return current;
  }
}

/** The schema expected at a path, following objects, records, arrays and unions. */
function schemaAt(root: AnySchema, path: readonly PathSegment[]): AnySchema | undefined {
  let current: AnySchema | undefined = unwrap(root);
  for (const segment of path) {
    if (!current) return undefined;
    const def = current._zod.def as {
      type: string;
      shape?: Record<string, AnySchema>;
      valueType?: AnySchema;
      element?: AnySchema;
    };
    if (def.type === "object" && def.shape) current = def.shape[String(segment)];
    else if (def.type === "record") current = def.valueType;
    else if (def.type === "array") current = def.element;
    else return undefined;
    current = current ? unwrap(current) : undefined;
  }
  return current;
}

function knownKeys(root: AnySchema, path: readonly PathSegment[]): string[] {
  const schema = schemaAt(root, path);
  const def = schema?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

/** Turns zod issues into located diagnostics, one per problem, never hiding one behind another. */
export function zodIssuesToDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  source: YamlSource,
  schema: AnySchema,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const push = (
    path: readonly PathSegment[],
    code: string,
    message: string,
    hint?: string,
    at: "key" | "value" = "value",
  ) => {
    const { line, column } = source.locate(path, at);
    out.push({
      code,
      severity: "error",
      file: source.file,
      line,
      column,
      path: formatPath(path),
      message,
      ...(hint ? { hint } : {}),
    });
  };

  for (const issue of issues) {
    const path = issue.path as PathSegment[];
    const absent = path.length > 0 && valueAt(source.data, path) === undefined;
    if (absent && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
      const key = String(path.at(-1));
      push(path.slice(0, -1), "MISSING_FIELD", `missing required key "${key}"`, `add ${key}: …`);
      continue;
    }
    switch (issue.code) {
      case "unrecognized_keys": {
        const keys = knownKeys(schema, path);
        for (const key of issue.keys) {
          const suggestion = didYouMean(key, keys);
          push(
            [...path, key],
            "UNKNOWN_KEY",
            `unknown key "${key}"`,
            suggestion ? `did you mean "${suggestion}"?` : `known keys: ${keys.join(", ")}`,
            "key",
          );
        }
        break;
      }
      case "invalid_type": {
        const actual = valueAt(source.data, path);
        if (actual === undefined) {
          push(
            path.slice(0, -1),
            "MISSING_FIELD",
            `missing required key "${path.at(-1)}"`,
            `add ${String(path.at(-1))}: …`,
          );
        } else {
          push(path, "INVALID_TYPE", `expected ${issue.expected}, got ${typeName(actual)}`);
        }
        break;
      }
      case "invalid_key": {
        for (const inner of issue.issues) {
          const params = (inner as { params?: IssueParams }).params;
          push(path, params?.hiltCode ?? "INVALID_KEY", inner.message, params?.hint, "key");
        }
        break;
      }
      case "invalid_value":
        push(
          path,
          "INVALID_VALUE",
          issue.message,
          `allowed: ${issue.values.map(String).join(", ")}`,
        );
        break;
      case "custom": {
        const params = issue.params as IssueParams | undefined;
        push(path, params?.hiltCode ?? "INVALID_VALUE", issue.message, params?.hint);
        break;
      }
      case "too_small":
        push(
          path,
          "INVALID_VALUE",
          issue.message.replace(/^Too small: /, ""),
          "add at least one entry",
        );
        break;
      default:
        push(path, "INVALID_VALUE", issue.message);
    }
  }
  // An unknown key already explains why a step has no action; saying both is noise.
  return out.filter(
    (d) =>
      d.code !== "INVALID_STEP" ||
      !out.some((o) => o.code === "UNKNOWN_KEY" && o.path.startsWith(`${d.path}.`)),
  );
}
