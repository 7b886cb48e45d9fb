import type { Credentials } from "../registry/credentials.js";
import type { Backend } from "./backend.js";
import { DaggerBackend } from "./dagger/backend.js";
import { findDaggerCli, hasDaggerSession } from "./dagger/locate.js";
import { type DaggerSession, probeSession } from "./dagger/session.js";
import { DockerBackend } from "./docker/backend.js";

export type EngineChoice = "dagger" | "docker" | "auto";

type Env = Record<string, string | undefined>;

/**
 * auto: dagger when a session is handed over (`dagger run`), or when a dagger CLI is installed
 * and an engine answers it; else docker. A CLI alone proves nothing: with no engine behind it,
 * auto takes docker (and `--engine dagger` fails with ENGINE_UNAVAILABLE, exit 4).
 */
export async function chooseEngine(
  choice: EngineChoice,
  env: Env,
  probe: (env: Env) => Promise<DaggerSession | undefined> = probeSession,
): Promise<{ engine: "dagger" | "docker"; session?: DaggerSession }> {
  if (choice !== "auto") return { engine: choice };
  if (hasDaggerSession(env)) return { engine: "dagger" };
  if (findDaggerCli(env) === undefined) return { engine: "docker" };
  // The probe's session is the run's: no second engine connection.
  const session = await probe(env);
  return session ? { engine: "dagger", session } : { engine: "docker" };
}

export async function selectBackend(
  choice: EngineChoice,
  options: {
    credentials: ReadonlyMap<string, Credentials>;
    env: Env;
    probe?: (env: Env) => Promise<DaggerSession | undefined>;
  },
): Promise<Backend> {
  const { engine, session } = await chooseEngine(choice, options.env, options.probe);
  return engine === "dagger"
    ? new DaggerBackend({
        credentials: options.credentials,
        env: options.env,
        ...(session ? { session, ownsSession: true } : {}),
      })
    : new DockerBackend({ credentials: options.credentials, env: options.env });
}
