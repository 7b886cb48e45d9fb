import { HiltError } from "../errors.js";
import type { Credentials } from "./credentials.js";
import { deadline, retryAfterMs, sleep } from "./deadline.js";

export const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface RegistryClientOptions {
  credentials?: Credentials;
  /** Plain HTTP for these hosts (local registries); everything else is HTTPS. */
  insecure?: (host: string) => boolean;
  /** Further tries after a 5xx, a 429, a reset or a refused connection (default 3). */
  retries?: number;
  /** Base delay between retries; doubled each time. */
  backoffMs?: number;
  /** The longest wait a 429's `Retry-After` may ask for (default 60 s). */
  maxRetryAfterMs?: number;
  onRetry?: (info: { url: string; attempt: number; reason: string }) => void;
  fetch?: typeof fetch;
  /** Aborts requests, token requests and retry waits in flight (Ctrl-C, --timeout). */
  signal?: AbortSignal;
  /** Per-request limit, token requests included: a silent registry is an error, not a hang. */
  timeoutMs?: number;
}

export interface Manifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

/** A response read to its end within the request's deadline. */
interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** A failure worth another try (the token endpoint answered 5xx or 429). */
class Transient extends Error {}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "");
  return name === "localhost" || name.startsWith("127.") || name === "[::1]";
}

/** Splits `host/path` into the registry host and the repository path. */
export function splitRepository(repository: string): { host: string; path: string } {
  const slash = repository.indexOf("/");
  return { host: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : "network error";
}

/** A minimal OCI distribution client: HEAD/GET/PUT manifests, token auth, retries. */
export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  private url(host: string, path: string): string {
    const insecure = this.options.insecure?.(host) ?? isLoopbackHost(host);
    return `${insecure ? "http" : "https"}://${host}/v2/${path}`;
  }

  private throwIfAborted(host: string): void {
    if (this.options.signal?.aborted)
      throw new HiltError("INTERRUPTED", `interrupted while talking to registry ${host}`);
  }

  /** Fetch with retries on 5xx, 429 and network errors, and one auth round-trip on 401. */
  private async request(
    host: string,
    path: string,
    scope: string,
    init: RequestInit,
  ): Promise<Reply> {
    const url = this.url(host, path);
    const retries = this.options.retries ?? 3;
    const backoff = this.options.backoffMs ?? 250;
    let lastReason = "";
    let wait = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        this.options.onRetry?.({ url, attempt, reason: lastReason });
        await sleep(wait, this.options.signal);
      }
      this.throwIfAborted(host);
      wait = backoff * 2 ** attempt;
      let reply: Reply;
      try {
        reply = await this.send(url, host, scope, init);
      } catch (error) {
        if (error instanceof HiltError) throw error;
        lastReason = error instanceof Transient ? error.message : networkReason(error);
        continue;
      }
      if (reply.status === 429) {
        lastReason = "HTTP 429, rate limited";
        const asked = retryAfterMs(
          reply.headers.get("retry-after"),
          this.options.maxRetryAfterMs ?? 60_000,
        );
        if (asked !== undefined) wait = asked;
        continue;
      }
      if (reply.status >= 500) {
        lastReason = `HTTP ${reply.status}`;
        continue;
      }
      return reply;
    }
    throw new HiltError(
      "REGISTRY_UNAVAILABLE",
      `registry ${host} gave no usable answer in ${retries + 1} tries (${lastReason})`,
      {
        hint: lastReason.includes("429")
          ? "the registry is limiting requests: wait a while, then run again"
          : "check that the registry is running and reachable, then run again",
      },
    );
  }

  /**
   * One fetch, body included, within the per-request deadline. Ctrl-C or --timeout becomes
   * INTERRUPTED and a silent registry REGISTRY_TIMEOUT; other failures are thrown as they are.
   */
  private async fetchWithin(
    host: string,
    url: string | URL,
    init: RequestInit,
    what: string,
  ): Promise<Reply> {
    const ms = this.options.timeoutMs ?? 30_000;
    const limit = deadline(ms, this.options.signal);
    try {
      const response = await this.fetchImpl(url, { ...init, signal: limit.signal });
      const body = Buffer.from(await response.arrayBuffer());
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      this.throwIfAborted(host);
      if (limit.expired)
        throw new HiltError(
          "REGISTRY_TIMEOUT",
          `registry ${host} did not answer ${what} within ${Math.round(ms / 100) / 10} s`,
          {
            hint: "check that the registry is up and reachable; a proxy may be holding the connection",
          },
        );
      throw error;
    } finally {
      limit.clear();
    }
  }

  private async send(url: string, host: string, scope: string, init: RequestInit): Promise<Reply> {
    const key = `${host} ${scope}`;
    const cached = this.tokens.get(key);
    const withAuth = (authorization: string | undefined): RequestInit => {
      const headers = new Headers(init.headers);
      if (authorization) headers.set("Authorization", authorization);
      return { ...init, headers };
    };
    const reply = await this.fetchWithin(host, url, withAuth(cached), "a request");
    if (reply.status !== 401) return reply;
    // No token yet, or the cached one expired: ask for a fresh one, once.
    this.tokens.delete(key);
    const fresh = await this.authorize(host, scope, reply.headers.get("www-authenticate") ?? "");
    if (!fresh) return reply;
    const retried = await this.fetchWithin(host, url, withAuth(fresh), "a request");
    if (retried.status !== 401 && retried.status !== 403) this.tokens.set(key, fresh);
    return retried;
  }

  private async authorize(
    host: string,
    scope: string,
    challenge: string,
  ): Promise<string | undefined> {
    const credentials = this.options.credentials;
    const basic = credentials
      ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`
      : undefined;
    if (/^basic/i.test(challenge)) return basic;
    if (!/^bearer/i.test(challenge)) return undefined;
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(params.realm ?? "");
    } catch {
      return undefined;
    }
    if (params.service) tokenUrl.searchParams.set("service", params.service);
    tokenUrl.searchParams.set("scope", scope);
    const reply = await this.fetchWithin(
      host,
      tokenUrl,
      basic ? { headers: { Authorization: basic } } : {},
      "a token request",
    );
    if (reply.status === 429 || reply.status >= 500)
      throw new Transient(`token endpoint: HTTP ${reply.status}`);
    if (reply.status < 200 || reply.status > 299) {
      const who = credentials ? "the credentials" : "anonymous access";
      throw new HiltError(
        "REGISTRY_AUTH_FAILED",
        `registry ${host} refused ${who} (HTTP ${reply.status})`,
        { hint: this.authHint() },
      );
    }
    const token = tokenOf(reply.body);
    if (!token)
      throw new HiltError(
        "REGISTRY_ERROR",
        `the token endpoint of registry ${host} answered without a token`,
        { hint: "check the registry's token service (the realm in its WWW-Authenticate header)" },
      );
    return `Bearer ${token}`;
  }

  private authHint(): string {
    const credentials = this.options.credentials;
    return credentials
      ? `the credentials from ${credentials.source} were refused: check them, and that they may push (packages: write on GHCR)`
      : "set HILT_REGISTRY_USERNAME and HILT_REGISTRY_PASSWORD (or GITHUB_TOKEN for GHCR), or docker login";
  }

  private fail(host: string, response: Reply, what: string): HiltError {
    if (response.status === 401 || response.status === 403) {
      return new HiltError(
        "REGISTRY_AUTH_FAILED",
        `registry ${host} refused ${what} (HTTP ${response.status})`,
        { hint: this.authHint() },
      );
    }
    return new HiltError(
      "REGISTRY_ERROR",
      `registry ${host} answered HTTP ${response.status} to ${what}`,
    );
  }

  /** The manifest digest a tag points at, or undefined when the tag does not exist. */
  async headManifest(repository: string, reference: string): Promise<string | undefined> {
    const { host, path } = splitRepository(repository);
    const response = await this.request(
      host,
      `${path}/manifests/${reference}`,
      `repository:${path}:pull`,
      {
        method: "HEAD",
        headers: { Accept: MANIFEST_TYPES },
      },
    );
    if (response.status === 404) return undefined;
    if (!isOk(response)) throw this.fail(host, response, `a lookup of ${repository}:${reference}`);
    return response.headers.get("docker-content-digest") ?? undefined;
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const { host, path } = splitRepository(repository);
    const response = await this.request(
      host,
      `${path}/manifests/${reference}`,
      `repository:${path}:pull`,
      {
        headers: { Accept: MANIFEST_TYPES },
      },
    );
    if (response.status === 404) return undefined;
    if (!isOk(response)) throw this.fail(host, response, `reading ${repository}:${reference}`);
    return {
      digest: response.headers.get("docker-content-digest") ?? "",
      mediaType: response.headers.get("content-type") ?? "",
      body: response.body,
    };
  }

  /** Points `tag` at an existing manifest, as `docker buildx imagetools create` would. */
  async tagManifest(repository: string, digest: string, tag: string): Promise<void> {
    const manifest = await this.getManifest(repository, digest);
    if (!manifest)
      throw new HiltError("REGISTRY_ERROR", `${repository}@${digest} is not in the registry`);
    const { host, path } = splitRepository(repository);
    const response = await this.request(
      host,
      `${path}/manifests/${tag}`,
      `repository:${path}:pull,push`,
      {
        method: "PUT",
        headers: { "Content-Type": manifest.mediaType },
        body: new Uint8Array(manifest.body),
      },
    );
    if (!isOk(response)) throw this.fail(host, response, `tagging ${repository}:${tag}`);
  }
}

/** The token from a token endpoint's JSON answer (`token` or `access_token`). */
function tokenOf(body: Buffer): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const { token, access_token: accessToken } = data as Record<string, unknown>;
  if (typeof token === "string" && token) return token;
  return typeof accessToken === "string" && accessToken ? accessToken : undefined;
}

const isOk = (reply: Reply) => reply.status >= 200 && reply.status <= 299;
