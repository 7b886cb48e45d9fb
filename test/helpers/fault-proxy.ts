import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the proxy does to a request a rule matches, instead of (or before) forwarding it. */
export type Fault =
  /** Answer with this status (e.g. 500, 429 with `Retry-After`) without asking the registry. */
  | { kind: "status"; status: number; headers?: Record<string, string> }
  /** Reset the connection (TCP RST) without answering. */
  | { kind: "reset" }
  /** Accept the request and never answer. */
  | { kind: "hang" }
  /** Forward the request; pass on the registry's status and headers, then never the body. */
  | { kind: "stallBody" }
  /** Forward the request, but only after this delay. */
  | { kind: "slow"; delayMs: number }
  /** Forward the first `after` matching requests, then answer 401 to every later one. */
  | { kind: "unauthorizedAfter"; after: number };

export interface FaultRule {
  /** Tested against `METHOD /path?query`, e.g. /^PUT \/v2\/.*\/manifests\//. */
  match: RegExp;
  fault: Fault;
  /** How many matching requests get the fault; forever when absent. */
  times?: number;
}

export interface FaultProxyOptions {
  /** `host:port` of the real registry behind the proxy. */
  upstream: string;
  /** Basic credentials the proxy adds when it forwards (for the htpasswd registry on :5001). */
  upstreamAuth?: { user: string; password: string };
  /**
   * Put a bearer-token flow in front of the registry, as GHCR and Docker Hub do: /v2/ asks for a
   * token from the proxy's own /token endpoint, which takes these basic credentials.
   */
  bearer?: { user: string; password: string };
}

export interface FaultProxy {
  /** `127.0.0.1:port`, to use as the registry host. */
  host: string;
  /** Every request seen, as `METHOD /path?query`. */
  requests: string[];
  /** Every Authorization header seen (tests check which token was used, never print them). */
  authorizations: string[];
  /** Tokens the proxy issued, in order. */
  tokens: string[];
  setFaults(rules: FaultRule[]): void;
  /** Existing tokens stop working (a token expiring mid-push). */
  revokeTokens(): void;
  stop(): Promise<void>;
}

/** The error bodies a distribution registry sends with these statuses. */
const REGISTRY_ERRORS: Record<number, [string, string]> = {
  401: ["UNAUTHORIZED", "authentication required"],
  403: ["DENIED", "requested access to the resource is denied"],
  429: ["TOOMANYREQUESTS", "too many requests"],
};

interface ActiveRule extends FaultRule {
  matched: number;
}

/** A registry proxy on 127.0.0.1:0 that injects faults; node:http only. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let rules: ActiveRule[] = [];
  const sockets = new Set<Socket>();
  const upstreamRequests = new Set<http.ClientRequest>();
  const valid = new Set<string>();
  const requests: string[] = [];
  const authorizations: string[] = [];
  const tokens: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let host = "";

  const challenge = (): Record<string, string> =>
    options.bearer
      ? { "www-authenticate": `Bearer realm="http://${host}/token",service="fault-proxy"` }
      : { "www-authenticate": 'Basic realm="fault-proxy"' };

  const basic = (c: { user: string; password: string }) =>
    `Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}`;

  function answer(res: http.ServerResponse, status: number, headers: Record<string, string> = {}) {
    const [code, message] = REGISTRY_ERRORS[status] ?? ["UNKNOWN", "injected fault"];
    const body = JSON.stringify({ errors: [{ code, message }] });
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
  }

  function issueToken(req: http.IncomingMessage, res: http.ServerResponse): void {
    const bearer = options.bearer;
    if (bearer && req.headers.authorization !== basic(bearer)) {
      answer(res, 401);
      return;
    }
    const token = `tok-${randomBytes(8).toString("hex")}`;
    tokens.push(token);
    valid.add(token);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, stall: boolean): void {
    const headers = { ...req.headers };
    if (options.bearer) delete headers.authorization;
    if (options.upstreamAuth) headers.authorization = basic(options.upstreamAuth);
    const [upstreamHost, upstreamPort] = options.upstream.split(":");
    const upstream = http.request(
      {
        host: upstreamHost,
        port: Number(upstreamPort),
        method: req.method,
        path: req.url,
        headers,
      },
      (reply) => {
        const replyHeaders = { ...reply.headers };
        const location = replyHeaders.location;
        if (typeof location === "string")
          replyHeaders.location = location.replace(`//${options.upstream}/`, `//${host}/`);
        if (options.bearer && reply.statusCode === 401) Object.assign(replyHeaders, challenge());
        res.writeHead(reply.statusCode ?? 502, replyHeaders);
        if (stall) {
          res.flushHeaders();
          reply.resume();
        } else reply.pipe(res);
      },
    );
    upstreamRequests.add(upstream);
    upstream.on("close", () => upstreamRequests.delete(upstream));
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const line = `${req.method} ${req.url}`;
    requests.push(line);
    if (req.headers.authorization) authorizations.push(req.headers.authorization);
    const rule = rules.find(
      (r) =>
        r.match.test(line) &&
        (r.times === undefined || r.matched < r.times || r.fault.kind === "unauthorizedAfter"),
    );
    if (rule) rule.matched++;
    const fault = rule?.fault;
    if (fault?.kind === "status") {
      req.resume();
      answer(res, fault.status, fault.headers);
      return;
    }
    if (fault?.kind === "reset") return void req.socket.resetAndDestroy();
    if (fault?.kind === "hang") return void req.resume();
    if (fault?.kind === "unauthorizedAfter" && rule && rule.matched > fault.after) {
      req.resume();
      answer(res, 401, challenge());
      return;
    }
    const go = () => {
      const isToken = req.url?.startsWith("/token") ?? false;
      if (options.bearer && isToken) return issueToken(req, res);
      if (options.bearer) {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        if (!token || !valid.has(token)) {
          req.resume();
          answer(res, 401, challenge());
          return;
        }
      }
      forward(req, res, fault?.kind === "stallBody");
    };
    if (fault?.kind === "slow") {
      const timer = setTimeout(() => {
        timers.delete(timer);
        go();
      }, fault.delayMs);
      timers.add(timer);
      return;
    }
    go();
  }

  const server = http.createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    host,
    requests,
    authorizations,
    tokens,
    setFaults(next) {
      rules = next.map((r) => ({ ...r, matched: 0 }));
    },
    revokeTokens() {
      valid.clear();
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      for (const request of upstreamRequests) request.destroy();
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
