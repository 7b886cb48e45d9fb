import { isSafeName } from "../fs/untrusted.js";
import { type Fact, fact } from "./types.js";

const valid = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;

/** Ports of databases and brokers: a `port:` setting holding one configures a client, not us. */
const CLIENT_PORTS = new Set([5432, 3306, 6379, 27017, 5672, 9200, 11211, 1433, 9042, 2181, 9092]);

/** EXPOSE of a Dockerfile (the first TCP port). */
export function exposedPort(dockerfile: string, file: string): Fact<number> | undefined {
  const match = /^\s*EXPOSE\s+(\d{1,5})(?:\/tcp)?\b/im.exec(dockerfile);
  const port = Number(match?.[1]);
  return valid(port) ? fact(port, `${file}#EXPOSE`) : undefined;
}

/** A port named by a command line: --port N, -p N, --bind host:N, -b host:N, runserver host:N. */
export function portInCommand(command: string): number | undefined {
  const match =
    /(?:--port|--http-port|-p)[= ]+["']?(\d{2,5})\b/.exec(command) ??
    /(?:--bind|-b|--listen|--host)[= ]+["']?[\w.[\]]*:(\d{2,5})\b/.exec(command) ??
    /\brunserver\s+(?:[\w.]+:)?(\d{2,5})\b/.exec(command);
  const port = Number(match?.[1]);
  return valid(port) ? port : undefined;
}

/** The words of a CMD/ENTRYPOINT, exec form (a JSON array) or shell form. */
function instructionWords(rest: string): string[] {
  const trimmed = rest.trim();
  if (trimmed.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.filter((w): w is string => typeof w === "string");
    } catch {}
  }
  return trimmed.split(/\s+/).filter(Boolean);
}

export interface DockerfileFacts {
  /** Ports in order of what runs: CMD/ENTRYPOINT flags, `ENV PORT`, EXPOSE. */
  ports: Fact<number>[];
  /** The command the image runs (ENTRYPOINT then CMD), when it has one. */
  command?: Fact<string>;
}

/** What a reused Dockerfile's final image runs, and on which port. */
export function dockerfileFacts(dockerfile: string, file: string): DockerfileFacts {
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let fromEnv: Fact<number> | undefined;
  for (const line of lines) {
    // A new stage starts over: only the last stage's instructions run.
    if (/^\s*FROM\s/i.test(line)) {
      entrypoint = [];
      cmd = [];
      fromEnv = undefined;
    }
    const run = /^\s*(CMD|ENTRYPOINT)\s+(.*)$/i.exec(line);
    if (run) {
      if ((run[1] ?? "").toUpperCase() === "CMD") cmd = instructionWords(run[2] ?? "");
      else entrypoint = instructionWords(run[2] ?? "");
      continue;
    }
    const env = /^\s*ENV\s+(?:.*\s)?PORT[= ]\s*["']?(\d{1,5})\b/i.exec(line);
    const port = Number(env?.[1]);
    if (env && valid(port)) fromEnv = fact(port, `${file}#ENV PORT`);
  }
  const words = [...entrypoint, ...cmd];
  const runPort = portInCommand(words.join(" "));
  const ports = [
    ...(runPort ? [fact(runPort, `${file}#${cmd.length > 0 ? "CMD" : "ENTRYPOINT"}`)] : []),
    ...(fromEnv ? [fromEnv] : []),
    ...[exposedPort(dockerfile, file)].filter((p): p is Fact<number> => p !== undefined),
  ];
  // Shown as a fact: never control characters or an endless line from an untrusted file.
  const plain = words.length > 0 && words.every(isSafeName);
  const command =
    plain && words.join(" ").length <= 500
      ? fact(words.join(" "), `${file}#${entrypoint.length > 0 ? "ENTRYPOINT" : "CMD"}`)
      : undefined;
  return { ports, ...(command ? { command } : {}) };
}

const SOURCE_PATTERNS: { pattern: RegExp; what: string }[] = [
  {
    pattern: /(?:process|Bun)\.env\.(\w*PORT)\)?\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})/,
    what: "default",
  },
  {
    pattern: /(?:os\.environ\.get|os\.getenv)\(\s*['"](\w*PORT)['"]\s*,\s*['"]?(\d{2,5})/,
    what: "default",
  },
  { pattern: /\.listen\(\s*(\d{2,5})\b/, what: "listen()" },
  { pattern: /\bport\s*:?=?\s*["']?(\d{2,5})["']?\s*[,;)}\n]/i, what: "port setting" },
  { pattern: /ListenAndServe\(\s*["'][^"':]*:(\d{2,5})["']/, what: "ListenAndServe" },
  {
    pattern:
      /\.(?:String|StringVar)\([^)]*?"(?:addr|address|listen|http|http-addr|bind|port)"\s*,\s*"[\w.]*:(\d{2,5})"/,
    what: "flag default",
  },
  {
    pattern: /\.(?:Int|IntVar)\([^)]*?"(?:port|http-port)"\s*,\s*(\d{2,5})\b/,
    what: "flag default",
  },
  { pattern: /--port[= ](\d{2,5})\b/, what: "--port" },
  { pattern: /--bind[= ][\w.]*:(\d{2,5})\b/, what: "--bind" },
  { pattern: /\bPORT\s*=\s*['"]?(\d{2,5})\b/, what: "PORT" },
];

/** The first port a source file names, and the line it is on. */
export function portInSource(text: string, file: string): Fact<number> | undefined {
  for (const { pattern, what } of SOURCE_PATTERNS) {
    const global = new RegExp(pattern.source, `${pattern.flags}g`);
    for (const match of text.matchAll(global)) {
      // Two groups: the variable's name, then its default ("PORT default", "FLASK_PORT default").
      const port = Number(match[2] ?? match[1]);
      if (!valid(port) || (what === "port setting" && CLIENT_PORTS.has(port))) continue;
      const line = text.slice(0, match.index).split("\n").length;
      return fact(port, `${file}:${line} (${match[2] ? `${match[1]} ${what}` : what})`);
    }
  }
  return undefined;
}

/** Configuration files an app commonly reads its port from, relative to its folder. */
export const CONFIG_FILES = [
  ".env",
  "config.json",
  "config.yaml",
  "config.yml",
  "config.toml",
  "config/default.json",
  "config/production.json",
  "config/default.yaml",
  "config/config.yaml",
  "settings.yaml",
];

/** A PORT/port key in a .env, JSON, YAML or TOML file (never a database's port). */
export function portInConfig(text: string, file: string): Fact<number> | undefined {
  const pattern =
    /(?:^|[\s"'{,])(?:PORT|port|http_port|server_port|HTTP_PORT)["']?\s*[:=]\s*["']?(\d{2,5})\b/g;
  for (const match of text.matchAll(pattern)) {
    const port = Number(match[1]);
    if (!valid(port) || CLIENT_PORTS.has(port)) continue;
    const line = text.slice(0, match.index).split("\n").length;
    return fact(port, `${file}:${line} (config)`);
  }
  return undefined;
}

/** A fact that is only Hilt's or a framework's default, not something the repository says. */
export const isDefaultPort = (port: Fact<number>) =>
  /default|generated image/.test(port.source) && !/PORT default/.test(port.source);
