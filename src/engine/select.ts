import type { Credentials } from "../registry/credentials.js";
import type { Backend } from "./backend.js";
import { DaggerBackend } from "./dagger/backend.js";
import { findDaggerCli, hasDaggerSession } from "./dagger/locate.js";
import { engineAnswers } from "./dagger/session.js";
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
  probe: (env: Env) => Promise<boolean> = engineAnswers,
): Promise<"dagger" | "docker"> {
  if (choice !== "auto") return choice;
  if (hasDaggerSession(env)) return "dagger";
  if (findDaggerCli(env) === undefined) return "docker";
  return (await probe(env)) ? "dagger" : "docker";
}

export async function selectBackend(
  choice: EngineChoice,
  options: {
    credentials: ReadonlyMap<string, Credentials>;
    env: Env;
    probe?: (env: Env) => Promise<boolean>;
  },
): Promise<Backend> {
  const engine = await chooseEngine(choice, options.env, options.probe);
  return engine === "dagger"
    ? new DaggerBackend({ credentials: options.credentials, env: options.env })
    : new DockerBackend({ credentials: options.credentials, env: options.env });
}
