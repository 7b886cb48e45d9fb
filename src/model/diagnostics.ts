/** One problem found in a user's file, located precisely enough to jump to. */
export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. `images.core-base.steps.2.apt`; empty for the document. */
  path: string;
  message: string;
  hint?: string;
}

export interface Validated<T> {
  value: T | undefined;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}`;
  const path = d.path === "" ? "" : ` ${d.path}:`;
  const hint = d.hint ? ` (${d.hint})` : "";
  const label = d.severity === "warning" ? " warning:" : "";
  return `${where}${label}${path} ${d.message}${hint}`;
}

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.column - b.column || a.path.localeCompare(b.path);
}
