import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

/** Bytes under `dir` (files' sizes, links not followed); stops counting once over `cap`. */
export async function diskUse(dir: string, cap: number): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0 && total <= cap) {
    const current = pending.pop() as string;
    let names: string[];
    try {
      names = await readdir(current);
    } catch {
      continue;
    }
    for (const name of names) {
      const full = path.join(current, name);
      const stat = await lstat(full).catch(() => undefined);
      if (!stat) continue;
      if (stat.isDirectory()) pending.push(full);
      else total += stat.size;
      if (total > cap) break;
    }
  }
  return total;
}

/**
 * Calls `over` once if `dir` grows past `cap` bytes while a process writes into it (git has no
 * size cap of its own for a fetch or a checkout). It polls: the disk may pass the cap by what
 * the process writes between two looks (and the caller checks once more at the end). Returns
 * the stop function.
 */
export function watchDiskUse(dir: string, cap: number, over: () => void, everyMs = 200) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    if (stopped) return;
    if ((await diskUse(dir, cap)) > cap) {
      stopped = true;
      over();
      return;
    }
    if (!stopped) timer = setTimeout(check, everyMs);
  };
  timer = setTimeout(check, everyMs);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
