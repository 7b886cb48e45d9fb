import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";

/**
 * A local git server for the source tests: `git http-backend` (smart HTTP, protocol v2) behind a
 * tiny node http server on 127.0.0.1, serving the bare repositories under `root`. `routes` may
 * answer a path itself first (a redirect, a hang, a flood) to play a hostile server.
 */

export interface GitHttpServer {
  url: string;
  close: () => Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

const GIT = (args: string[], cwd: string, env: Record<string, string> = {}) => {
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
      ...env,
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
};

/**
 * A bare repository `<root>/<name>.git` whose main branch holds `files` (one commit, or one per
 * entry of `commits`); returns the commits' ids, oldest first.
 */
export function bareRepo(
  root: string,
  name: string,
  commits: Record<string, string | Buffer>[],
  options: { tag?: string } = {},
): string[] {
  const work = path.join(root, `${name}.work`);
  mkdirSync(work, { recursive: true });
  GIT(["init", "-q", "-b", "main", work], root);
  const ids: string[] = [];
  for (const [i, files] of commits.entries()) {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      writeFileSync(path.join(work, file), content);
    }
    GIT(["add", "-A"], work);
    GIT(["commit", "-q", "-m", `commit ${i}`], work);
    ids.push(GIT(["rev-parse", "HEAD"], work));
  }
  if (options.tag) GIT(["tag", "-a", "-m", "tag", options.tag], work);
  GIT(["clone", "-q", "--bare", work, path.join(root, `${name}.git`)], root);
  return ids;
}

export async function startGitHttpServer(
  root: string,
  routes: Route[] = [],
  options: { hangFetch?: boolean } = {},
): Promise<GitHttpServer> {
  const backend = path.join(GIT(["--exec-path"], root), "git-http-backend");
  const server: Server = createServer(async (req, res) => {
    for (const route of routes) if (route(req, res)) return;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    // A server that lists its refs but never sends a pack: the job's clone must end anyway.
    if (options.hangFetch && body.includes("command=fetch")) return;
    const url = new URL(req.url ?? "/", "http://localhost");
    const child = spawn(backend, [], {
      env: {
        PATH: process.env.PATH ?? "",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        GIT_CONFIG_NOSYSTEM: "1",
        HOME: root,
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_ADDR: "127.0.0.1",
        ...(req.headers["git-protocol"]
          ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) }
          : {}),
        ...(req.headers["content-encoding"]
          ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) }
          : {}),
      },
      stdio: ["pipe", "pipe", "ignore"],
    });
    child.stdin.on("error", () => {});
    child.stdin.end(body);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + 4));
    });
    child.stdout.on("end", () => res.end());
    child.on("error", () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
