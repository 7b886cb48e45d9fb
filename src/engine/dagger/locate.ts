import { accessSync, constants } from "node:fs";
import path from "node:path";

type Env = Record<string, string | undefined>;

/** Inside `dagger run` or a module call, the session is handed over through these. */
export function hasDaggerSession(env: Env): boolean {
  return Boolean(env.DAGGER_SESSION_PORT && env.DAGGER_SESSION_TOKEN);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** HILT_DAGGER_BIN, else `dagger` on PATH; handed to the SDK so it never downloads one. */
export function findDaggerCli(env: Env): string | undefined {
  if (env.HILT_DAGGER_BIN) return executable(env.HILT_DAGGER_BIN) ? env.HILT_DAGGER_BIN : undefined;
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "" && executable(path.join(dir, "dagger"))) return path.join(dir, "dagger");
  }
  return undefined;
}
