import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import type { Client } from "@dagger.io/dagger";
import { ExitCode, HiltError } from "../../errors.js";
import { findDaggerCli, hasDaggerSession } from "./locate.js";

type Env = Record<string, string | undefined>;

export function engineUnavailable(message: string, cause?: unknown): HiltError {
  return new HiltError("ENGINE_UNAVAILABLE", message, {
    exitCode: ExitCode.engineUnavailable,
    cause,
    hint: "run inside `dagger run`, put the dagger CLI on PATH (or set HILT_DAGGER_BIN) with an engine it can reach, or use --engine docker",
  });
}

/** An open engine session: the client, how to end it, and a promise that rejects if it dies. */
export interface DaggerSession {
  client: Client;
  /** Rejects with ENGINE_UNAVAILABLE when the session ends before `close`; never resolves. */
  lost: Promise<never>;
  close(): Promise<void>;
}

/**
 * fetch for the GraphQL client over node:http, without the five-minute header timeout of
 * Node's built-in fetch: one query may wait as long as a build step runs.
 */
function untimedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const request = http.request(
      String(input instanceof Request ? input.url : input),
      { method: init.method ?? "GET", headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (d: Buffer) => chunks.push(d));
        response.on("error", reject);
        response.on("end", () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            if (typeof value === "string") responseHeaders.set(name, value);
          resolve(
            new Response(Buffer.concat(chunks), {
              status: response.statusCode ?? 500,
              headers: responseHeaders,
            }),
          );
        });
      },
    );
    request.on("error", reject);
    request.end(typeof init.body === "string" ? init.body : undefined);
  });
}

async function clientFor(port: number, token: string): Promise<Client> {
  const { Client, Context, GraphQLClient } = await import("@dagger.io/dagger");
  const gql = new GraphQLClient(`http://127.0.0.1:${port}/query`, {
    fetch: untimedFetch,
    headers: { Authorization: `Basic ${Buffer.from(`${token}:`).toString("base64")}` },
  });
  // The SDK's own connect() reads and writes process.env and installs exit hooks; Hilt hands
  // it a client over its own session instead (Context only asks its connection for the client).
  return new Client(new Context([], { getGQLClient: () => gql } as never));
}

/** Registry passwords and tokens are Hilt's to use (as Dagger secrets), never the CLI's. */
function sessionEnv(env: Env): Env {
  const kept = Object.entries(env).filter(([name]) => !/TOKEN|PASSWORD|SECRET/i.test(name));
  return {
    ...Object.fromEntries(kept),
    DO_NOT_TRACK: env.DO_NOT_TRACK ?? "1",
    DAGGER_NO_UPDATE_CHECK: "1",
  };
}

function tail(text: string, lines: number): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/**
 * Opens a session: the one handed over by `dagger run` (DAGGER_SESSION_PORT/TOKEN in `env`),
 * else `dagger session` started here in its own process group, so a Ctrl-C reaches Hilt only
 * and Hilt decides when the session ends. Nothing is written to process.env.
 */
export async function openSession(
  env: Env,
  options: { logOutput?: Writable; connectTimeoutMs?: number } = {},
): Promise<DaggerSession> {
  if (hasDaggerSession(env)) {
    const client = await clientFor(Number(env.DAGGER_SESSION_PORT), env.DAGGER_SESSION_TOKEN ?? "");
    return { client, lost: new Promise<never>(() => {}), close: async () => {} };
  }
  const cli = findDaggerCli(env);
  if (!cli)
    throw engineUnavailable(
      "no Dagger engine: not inside `dagger run`, and no dagger CLI on PATH or in HILT_DAGGER_BIN",
    );
  const child: ChildProcess = spawn(cli, ["session", "--label", "dagger.io/sdk.name:hilt"], {
    env: sessionEnv(env),
    stdio: ["pipe", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-20_000);
    options.logOutput?.write(d);
  });
  let closing = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(null));
    child.on("close", (code) => resolve(code));
  });
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const killOnExit = () => kill("SIGKILL");
  process.on("exit", killOnExit);
  const stop = async () => {
    closing = true;
    process.off("exit", killOnExit);
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const params = await new Promise<{ port: number; session_token: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(engineUnavailable("the Dagger engine did not answer within the time allowed")),
      options.connectTimeoutMs ?? 120_000,
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(line) as { port?: number; session_token?: string };
        if (parsed.port && parsed.session_token)
          return resolve({ port: parsed.port, session_token: parsed.session_token });
      } catch {
        // reported below
      }
      reject(engineUnavailable("`dagger session` printed no connection parameters"));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        engineUnavailable(
          `could not start a Dagger session (${cli} exited ${code ?? "at once"}): ${tail(stderr, 3) || "no output"}`,
        ),
      );
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const lost = exited.then((code): never => {
    throw closing
      ? new HiltError("INTERRUPTED", "the Dagger session was closed", {
          exitCode: ExitCode.interrupted,
        })
      : engineUnavailable(
          `the Dagger session ended during the run (exit ${code}): ${tail(stderr, 3) || "no output"}`,
        );
  });
  lost.catch(() => {}); // observed by each build; never an unhandled rejection
  return { client: await clientFor(params.port, params.session_token), lost, close: stop };
}

/** A session whose engine answered a trivial query within the time; undefined otherwise. */
export async function probeSession(
  env: Env,
  timeoutMs = 20_000,
): Promise<DaggerSession | undefined> {
  let session: DaggerSession | undefined;
  try {
    session = await openSession(env, { connectTimeoutMs: timeoutMs });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no answer")), timeoutMs);
    });
    try {
      await Promise.race([session.client.version(), session.lost, late]);
    } finally {
      clearTimeout(timer);
    }
    return session;
  } catch {
    await session?.close();
    return undefined;
  }
}

/** Whether an engine answers (the session used to ask is closed again). */
export async function engineAnswers(env: Env, timeoutMs = 20_000): Promise<boolean> {
  const session = await probeSession(env, timeoutMs);
  await session?.close();
  return session !== undefined;
}

/** A session someone else opened and ends (a module call's `dag`, a test's client). */
export function borrowedSession(client: Client): DaggerSession {
  return { client, lost: new Promise<never>(() => {}), close: async () => {} };
}
