import { readFileSync } from "node:fs";
import path from "node:path";
import { docker, REPO_ROOT } from "./env.js";

/**
 * The issue-13 corpus (examples/corpus.json) and how its images are checked: shared by
 * test/e2e/examples.test.ts and `bench/detect.ts --build`.
 */

export interface Probe {
  port: number;
  path: string;
  /** A substring of the answer's body. */
  expect: string;
}

export interface CorpusExample {
  classes: string[];
  buildable: boolean;
  why?: string;
  sidecar?: string;
  /** Service → a line its log must show (a service that starts up to connecting). */
  logLine?: Record<string, string>;
  /** Service → what running the image once prints (a job). */
  job?: Record<string, { expect: string }>;
  probes: Record<string, Probe>;
}

export const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");
export const GOLDEN_DIR = path.join(REPO_ROOT, "test/golden/detect");

export function loadCorpus(): Record<string, CorpusExample> {
  return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, "corpus.json"), "utf8")).examples;
}

/** The expected `detect --json` of an example. */
// biome-ignore lint/suspicious/noExplicitAny: a JSON document read field by field
export function expectedDetect(name: string): any {
  return JSON.parse(readFileSync(path.join(GOLDEN_DIR, `${name}.json`), "utf8"));
}

/** The image a service of an example builds into: the folder's name, `-<service>` when nested. */
export function imageName(example: string, service: string): string {
  const svc = expectedDetect(example).services.find((s: { name: string }) => s.name === service);
  if (!svc) throw new Error(`${example}: corpus.json names a service ${service} it does not have`);
  return svc.path === "." ? example : `${example}-${service}`;
}

/** Base images generated Dockerfiles name, mapped onto the ones test/env/up.sh made. */
export function baseImageArgs(prefix: string): string[] {
  return [
    "--base-image",
    `golang:1.24-bookworm=${prefix}/golang:1.19-bookworm`,
    // Debian bookworm's only Python is 3.11: what an unpinned or ">=3.11" service asks for maps
    // onto it (the version choice itself is checked by the detection expectations).
    "--base-image",
    `python:3.12-slim-bookworm=${prefix}/python:3.11-slim-bookworm`,
    ...["node", "python", "golang", "debian", "busybox"].flatMap((n) => [
      "--base-image",
      `${n}=${prefix}/${n}`,
    ]),
    "--base-image",
    `oven/bun=${prefix}/bun`,
  ];
}

export interface Answer {
  ok: boolean;
  status?: number;
  body?: string;
  /** Why it failed, with the container's log tail. */
  detail: string;
}

const tail = (text: string, n = 1500) => (text.length > n ? `…${text.slice(-n)}` : text);

/** Runs an image, asks its port, and (optionally) waits for a log line. */
export async function askImage(
  ref: string,
  port: number,
  probe: Probe,
  logLine?: string,
): Promise<Answer> {
  const run = docker(["run", "-d", "-p", `127.0.0.1::${port}`, ref]);
  if (run.status !== 0) return { ok: false, detail: `docker run ${ref}: ${tail(run.stderr)}` };
  const id = run.stdout.trim();
  const logs = () => {
    const l = docker(["logs", id]);
    return tail(l.stdout + l.stderr);
  };
  try {
    const mapped = docker(["port", id, `${port}/tcp`])
      .stdout.trim()
      .split("\n")[0]
      ?.split(":")
      .pop();
    let last = "no answer";
    for (let attempt = 0; attempt < 90; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${mapped}${probe.path}`, {
          signal: AbortSignal.timeout(2000),
        });
        const body = await response.text();
        const found = response.status === 200 && body.includes(probe.expect);
        const logged = logLine === undefined || logs().includes(logLine);
        if (found && logged) return { ok: true, status: response.status, body, detail: "" };
        last = `HTTP ${response.status}: ${tail(body, 300)}${logged ? "" : ` (log never showed ${JSON.stringify(logLine)})`}`;
        if (response.status === 200 && !logged) await new Promise((r) => setTimeout(r, 500));
        else if (response.status < 500) break;
      } catch (error) {
        last = String(error);
        const state = docker(["inspect", "-f", "{{.State.Running}}", id]).stdout.trim();
        if (state === "false") break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return {
      ok: false,
      detail: `${ref} on ${port}${probe.path}: ${last}; expected 200 with ${JSON.stringify(probe.expect)}\ncontainer log:\n${logs()}`,
    };
  } finally {
    docker(["rm", "-f", id]);
  }
}

/** Runs a job's image once and looks for what it prints. */
export function runJob(ref: string, expectText: string): Answer {
  const run = docker(["run", "--rm", ref]);
  const out = run.stdout + run.stderr;
  const ok = run.status === 0 && out.includes(expectText);
  return { ok, detail: ok ? "" : `${ref} exited ${run.status}: ${tail(out)}` };
}
