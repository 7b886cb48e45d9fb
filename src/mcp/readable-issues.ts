import type { z } from "zod";
import { didYouMean } from "../util/did-you-mean.js";

// zod's schema internals, read only to name what a tool argument expects.
interface Def {
  type: string;
  innerType?: Schema;
  element?: Schema;
  valueType?: Schema;
  shape?: Record<string, Schema>;
  entries?: Record<string, string>;
  format?: string;
  in?: Schema;
}
interface Schema {
  def: Def;
  /** Set on number formats: "safeint" for z.number().int(). */
  format?: string | null;
}

const WRAPPERS = new Set(["optional", "default", "nullable", "readonly", "prefault", "catch"]);

function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  while (s && (WRAPPERS.has(s.def.type) || s.def.type === "pipe"))
    s = s.def.type === "pipe" ? s.def.in : s.def.innerType;
  return s;
}

function plural(description: string): string {
  const words = description.replace(/^an? /, "");
  return /^(string|number|whole number|object)$/.test(words) ? `${words}s` : "values";
}

/** "an array of strings", "one of "dagger", "docker", "auto"", …: what a value must be. */
export function describeSchema(schema: Schema | undefined): string {
  const s = unwrap(schema);
  switch (s?.def.type) {
    case "string":
      return "a string";
    case "number":
      return (s.format ?? s.def.format)?.includes("int") ? "a whole number" : "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    case "array":
      return `an array of ${plural(describeSchema(s.def.element))}`;
    case "enum":
      return `one of ${Object.values(s.def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(", ")}`;
    case "record":
      return `an object whose values are ${plural(describeSchema(s.def.valueType))}`;
    case "object":
      return "an object";
    default:
      return "another value";
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "nothing";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

function schemaAt(shape: Record<string, Schema>, path: readonly PropertyKey[]): Schema | undefined {
  let current: Schema | undefined = { def: { type: "object", shape } };
  for (const key of path) {
    const s = unwrap(current);
    if (!s) return undefined;
    if (s.def.type === "array") current = s.def.element;
    else if (s.def.type === "record") current = s.def.valueType;
    else if (s.def.type === "object") current = s.def.shape?.[String(key)];
    else return undefined;
  }
  return current;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key as string];
  }
  return current;
}

/**
 * One line per problem, e.g. `arguments.targets: expected an array of strings, got a string`,
 * instead of zod's JSON dump. Values sent are described by kind, never echoed.
 */
export function readableIssues(
  shape: z.ZodRawShape,
  args: unknown,
  issues: readonly z.core.$ZodIssue[],
): string {
  const fields = shape as unknown as Record<string, Schema>;
  return issues
    .map((issue) => {
      const where = ["arguments", ...issue.path.map(String)].join(".");
      switch (issue.code) {
        case "invalid_type":
          return `${where}: expected ${issue.path.length === 0 ? "an object" : describeSchema(schemaAt(fields, issue.path))}, got ${kindOf(valueAt(args, issue.path))}`;
        case "invalid_value":
          return `${where}: expected ${describeSchema(schemaAt(fields, issue.path))}`;
        case "too_small":
          return `${where}: must be at least ${String(issue.minimum)}${issue.origin === "array" ? " items" : ""}`;
        case "too_big":
          return `${where}: must be at most ${String(issue.maximum)}${issue.origin === "array" ? " items" : ""}`;
        case "unrecognized_keys":
          return issue.keys
            .map((key) => {
              const near = didYouMean(key, Object.keys(fields));
              return `${where}.${key}: unknown argument${near ? ` (did you mean ${near}?)` : ""}`;
            })
            .join("; ");
        default:
          return `${where}: ${issue.message}`;
      }
    })
    .join("; ");
}
