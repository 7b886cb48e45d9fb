import type { DetectResult, Fact } from "../detect/types.js";

function show<T>(label: string, f: Fact<T> | undefined): string | undefined {
  return f ? `    ${label.padEnd(16)}${String(f.value).padEnd(28)} ← ${f.source}` : undefined;
}

export function formatDetect(result: DetectResult): string {
  if (result.services.length === 0) return `${result.root}: no services found\n`;
  const lines: string[] = [];
  for (const s of result.services) {
    lines.push(`${s.name} (${s.path})`);
    for (const line of [
      show("role", s.role),
      show("language", s.language),
      show("package manager", s.packageManager),
      show("runtime", s.runtimeVersion),
      show("framework", s.framework),
      show("build", s.buildCommand),
      show("start", s.startCommand),
      show("port", s.port),
      show("dockerfile", s.dockerfile),
    ]) {
      if (line) lines.push(line);
    }
  }
  return `${lines.join("\n")}\n`;
}
