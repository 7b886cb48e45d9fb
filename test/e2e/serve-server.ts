import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { NODE_ARGS } from "../helpers/cli.js";

/** A `hilt serve` child process on a port of its own, as a deployment runs it. */
export interface ServeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the server; resolves once it logged its `listening` line (or rejects if it exited). */
export async function startServe(
  args: string[],
  env: Record<string, string> = {},
  port?: number,
): Promise<ServeProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [...NODE_ARGS, "serve", "--port", String(chosen), ...args],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
      if (stderr.includes('"msg":"listening"')) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`hilt serve exited (${code}):\n${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${chosen}`,
    port: chosen,
    child,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const end = await exited;
      clearTimeout(timer);
      return end;
    },
  };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Follows a job's SSE stream until `event: end` (or until `until` says stop), the way a browser's
 * EventSource reads it: `id:`, `event:`, `data:` fields, blank line between events.
 */
export async function followEvents(
  url: string,
  headers: Record<string, string>,
  until: (event: SseEvent) => boolean = (e) => e.event === "end",
): Promise<SseEvent[]> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const event: SseEvent = { data: "" };
        let fields = 0;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") event.data = event.data ? `${event.data}\n${value}` : value;
          else if (field === "id") event.id = value;
          else if (field === "event") event.event = value;
          else continue;
          fields++;
        }
        if (fields === 0) continue;
        events.push(event);
        if (until(event)) return events;
      }
    }
  } finally {
    controller.abort();
  }
}

/** Debian's chromium, which test/env/up.sh installs, for the dashboard tests. */
export function chromiumPath(): string {
  const found = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
    encoding: "utf8",
  }).stdout.trim();
  if (!found) throw new Error("chromium is missing: run test/env/up.sh (it installs Debian's)");
  return found;
}
