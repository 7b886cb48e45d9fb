import type { Credentials } from "../registry/credentials.js";
import type { Backend } from "./backend.js";
import { DaggerBackend } from "./dagger/backend.js";
import { findDaggerCli, hasDaggerSession } from "./dagger/locate.js";
import { DockerBackend } from "./docker/backend.js";

export type EngineChoice = "dagger" | "docker" | "auto";

/** auto: dagger when a session is handed over or a CLI is installed, else docker. */
export async function selectBackend(
  choice: EngineChoice,
  options: {
    credentials: ReadonlyMap<string, Credentials>;
    env: Record<string, string | undefined>;
  },
): Promise<Backend> {
  const dagger =
    choice === "dagger" ||
    (choice === "auto" &&
      (hasDaggerSession(options.env) || findDaggerCli(options.env) !== undefined));
  return dagger
    ? new DaggerBackend({ credentials: options.credentials, env: options.env })
    : new DockerBackend({ credentials: options.credentials, env: options.env });
}
