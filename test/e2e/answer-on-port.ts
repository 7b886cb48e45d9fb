import { docker } from "./env.js";

/**
 * Runs an image detached, waits until its port answers HTTP on `urlPath`, returns the status and
 * body, and removes the container. Throws with the container's log tail if it never answers.
 */
export async function answerOnPort(
  ref: string,
  port: number,
  urlPath = "/",
): Promise<{ status: number; body: string }> {
  const run = docker(["run", "-d", "-p", `127.0.0.1::${port}`, ref]);
  if (run.status !== 0) throw new Error(`docker run ${ref}: ${run.stderr.slice(-800)}`);
  const id = run.stdout.trim();
  try {
    const mapped = docker(["port", id, `${port}/tcp`])
      .stdout.trim()
      .split("\n")[0]
      ?.split(":")
      .pop();
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${mapped}${urlPath}`, {
          signal: AbortSignal.timeout(2000),
        });
        return { status: response.status, body: await response.text() };
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const logs = docker(["logs", id]);
    throw new Error(`${ref} never answered on ${port}: ${(logs.stdout + logs.stderr).slice(-800)}`);
  } finally {
    docker(["rm", "-f", id]);
  }
}
