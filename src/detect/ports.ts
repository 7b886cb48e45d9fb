import { type Fact, fact } from "./types.js";

/** EXPOSE of a Dockerfile (the first TCP port). */
export function exposedPort(dockerfile: string, file: string): Fact<number> | undefined {
  const match = /^\s*EXPOSE\s+(\d{1,5})(?:\/tcp)?\b/im.exec(dockerfile);
  const port = Number(match?.[1]);
  return port >= 1 && port <= 65535 ? fact(port, `${file}#EXPOSE`) : undefined;
}

const SOURCE_PATTERNS: { pattern: RegExp; what: string }[] = [
  { pattern: /process\.env\.PORT\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})/, what: "PORT default" },
  {
    pattern: /(?:os\.environ\.get|os\.getenv)\(\s*['"]PORT['"]\s*,\s*['"]?(\d{2,5})/,
    what: "PORT default",
  },
  { pattern: /\.listen\(\s*(\d{2,5})\b/, what: "listen()" },
  { pattern: /\bport\s*:?=?\s*["']?(\d{2,5})["']?\s*[,;)}\n]/i, what: "port setting" },
  { pattern: /ListenAndServe\(\s*["'][^"':]*:(\d{2,5})["']/, what: "ListenAndServe" },
  { pattern: /--port[= ](\d{2,5})\b/, what: "--port" },
  { pattern: /--bind[= ][\w.]*:(\d{2,5})\b/, what: "--bind" },
  { pattern: /\bPORT\s*=\s*['"]?(\d{2,5})\b/, what: "PORT" },
];

/** The first port a source file names, and the line it is on. */
export function portInSource(text: string, file: string): Fact<number> | undefined {
  for (const { pattern, what } of SOURCE_PATTERNS) {
    const match = pattern.exec(text);
    if (!match) continue;
    const port = Number(match[1]);
    if (port < 1 || port > 65535) continue;
    const line = text.slice(0, match.index).split("\n").length;
    return fact(port, `${file}:${line} (${what})`);
  }
  return undefined;
}
