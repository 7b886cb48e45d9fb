import { homedir } from "node:os";
import path from "node:path";
import { cacheCommand, codeCacheDir, loadBundle } from "./code-cache.js";

/**
 * What bin/hilt.js runs: the CLI bundle (hilt.cjs, beside this file once bundled) through the
 * code cache, then the command. A command that succeeded leaves its compiled code in the cache
 * for the next start; HILT_DEBUG names what became of the cache.
 */
export async function start(argv: string[], bundleDir: string): Promise<number> {
  const env = process.env;
  let home = "";
  try {
    home = homedir();
  } catch {}
  const dir = codeCacheDir({ env, platform: process.platform, home, cwd: process.cwd() });
  const bundle = loadBundle(path.join(bundleDir, "hilt.cjs"), {
    dir,
    command: cacheCommand(argv),
  });
  if (env.HILT_DEBUG) process.stderr.write(`code cache: ${bundle.status}\n`);
  const main = bundle.exports.main as (argv: string[]) => Promise<number>;
  const code = await main(argv);
  if (code === 0) bundle.save();
  return code;
}
