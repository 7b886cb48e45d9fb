import type { z } from "zod";
import { byPosition, type Diagnostic, type Validated } from "./diagnostics.js";
import { parseYaml, type YamlSource } from "./yaml-source.js";
import { zodIssuesToDiagnostics } from "./zod-diagnostics.js";

/** YAML text → typed value, with every syntax, shape and cross-field problem located. */
export function validateDocument<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  options: {
    supportedVersion: number;
    rules?: (value: z.infer<S>, source: YamlSource) => Diagnostic[];
    /** Best-effort value from data that failed the schema, so cross-field rules still run. */
    salvage?: (data: unknown) => z.infer<S> | undefined;
  },
): Validated<z.infer<S>> & { source: YamlSource } {
  const source = parseYaml(file, text);
  const fail = (errors: Diagnostic[]) => ({
    value: undefined,
    errors: errors.sort(byPosition),
    warnings: [],
    source,
  });
  const duplicates = source.errors.filter((d) => d.code === "DUPLICATE_KEY");
  if (source.errors.length > duplicates.length) return fail(source.errors);
  if (source.data === null || typeof source.data !== "object" || Array.isArray(source.data)) {
    return fail([
      {
        code: "INVALID_TYPE",
        severity: "error",
        file,
        line: 1,
        column: 1,
        path: "",
        message: "the document must be a mapping",
        hint: "start with schemaVersion: 1",
      },
    ]);
  }
  const version = (source.data as { schemaVersion?: unknown }).schemaVersion;
  if (version !== undefined && version !== options.supportedVersion) {
    const { line, column } = source.locate(["schemaVersion"]);
    return fail([
      {
        code: "UNSUPPORTED_SCHEMA_VERSION",
        severity: "error",
        file,
        line,
        column,
        path: "schemaVersion",
        message: `schemaVersion ${JSON.stringify(version)} is not supported`,
        hint: `this Hilt reads schemaVersion ${options.supportedVersion}; upgrade Hilt or convert the file`,
      },
    ]);
  }
  const parsed = schema.safeParse(source.data);
  if (!parsed.success) {
    const shapeErrors = zodIssuesToDiagnostics(parsed.error.issues, source, schema);
    const salvaged = options.salvage?.(source.data);
    const ruleErrors = salvaged && options.rules ? options.rules(salvaged, source) : [];
    const seen = new Set(shapeErrors.map((d) => `${d.path}\0${d.code}`));
    const extra = ruleErrors.filter(
      (d) => d.severity === "error" && !seen.has(`${d.path}\0${d.code}`),
    );
    return fail([...duplicates, ...shapeErrors, ...extra]);
  }
  const ruleErrors = options.rules?.(parsed.data, source) ?? [];
  const errors = [...duplicates, ...ruleErrors.filter((d) => d.severity === "error")].sort(
    byPosition,
  );
  const warnings = ruleErrors.filter((d) => d.severity === "warning").sort(byPosition);
  return { value: errors.length > 0 ? undefined : parsed.data, errors, warnings, source };
}
