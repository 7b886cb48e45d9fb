import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** The pip executable's prefix (`<prefix>/bin/pip`), as `sys.prefix` would be; else undefined. */
function pipPrefix(env: Env): string | undefined {
  if (env.VIRTUAL_ENV) return env.VIRTUAL_ENV;
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      return path.dirname(path.dirname(realpathSync(path.join(dir, "pip"))));
    } catch {}
  }
  return undefined;
}

/**
 * pip's configuration files, lowest precedence first, as pip (Linux) loads them: global
 * (`$XDG_CONFIG_DIRS/pip/pip.conf`, `/etc/pip.conf`), user (`~/.pip/pip.conf`,
 * `$XDG_CONFIG_HOME/pip/pip.conf`; skipped when PIP_CONFIG_FILE names an existing file), site
 * (`<prefix>/pip.conf`), then PIP_CONFIG_FILE. PIP_CONFIG_FILE=/dev/null loads none.
 */
export function pipConfigFiles(env: Env, exists: (file: string) => boolean): string[] {
  const envFile = env.PIP_CONFIG_FILE;
  if (envFile === "/dev/null") return [];
  const home = env.HOME ?? os.homedir();
  const xdgDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(path.delimiter).filter(Boolean);
  const files = [...xdgDirs.map((d) => path.join(d, "pip", "pip.conf")), "/etc/pip.conf"];
  if (!(envFile && exists(envFile)))
    files.push(
      path.join(home, ".pip", "pip.conf"),
      path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "pip", "pip.conf"),
    );
  const prefix = pipPrefix(env);
  if (prefix) files.push(path.join(prefix, "pip.conf"));
  if (envFile) files.push(envFile);
  return files;
}

/**
 * One option of one section of an INI text as Python's RawConfigParser reads it: `=` or `:`,
 * option names case-insensitive with `_` read as `-` (pip's normalisation), `#`/`;` comment
 * lines, indented continuation lines; the last occurrence wins.
 */
export function iniValue(text: string, section: string, option: string): string | undefined {
  let current: string | undefined;
  let value: string | undefined;
  let continuing = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(line) || line.trim() === "") {
      continuing = continuing && line.trim() === "" ? false : continuing;
      continue;
    }
    if (continuing && /^\s/.test(line)) {
      value = `${value}\n${line.trim()}`;
      continue;
    }
    continuing = false;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    const at = line.search(/[=:]/);
    if (current !== section || at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase().replace(/_/g, "-").replace(/^--/, "");
    if (name !== option) continue;
    value = line.slice(at + 1).trim();
    continuing = true;
  }
  return value;
}

/**
 * What `pip config get <section>.<option>` prints, read from pip's files without starting
 * Python (that took about 1–2 s a build). Environment variables such as PIP_INDEX_URL are not
 * consulted, as `pip config get` does not consult them.
 */
export async function pipConfigValue(
  env: Env,
  section: string,
  option: string,
  exists: (file: string) => boolean,
): Promise<string | undefined> {
  let value: string | undefined;
  for (const file of pipConfigFiles(env, exists)) {
    if (!exists(file)) continue;
    const text = await readFile(file, "utf8").catch(() => undefined);
    const found = text === undefined ? undefined : iniValue(text, section, option);
    if (found !== undefined) value = found;
  }
  return value === "" ? undefined : value;
}
