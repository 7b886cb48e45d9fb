import { ExitCode, HiltError } from "../errors.js";
import type { Credentials } from "./credentials.js";

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
  retries?: number;
  /** Base delay between retries; doubled each time. */
  backoffMs?: number;
  onRetry?: (info: { url: string; attempt: number; reason: string }) => void;
  fetch?: typeof fetch;
  /** Aborts requests and retries in flight (Ctrl-C, --timeout). */
  signal?: AbortSignal;
  /** Per-request limit; a registry that never answers is an error, not a hang. */
  timeoutMs?: number;
}

export interface Manifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "");
  return name === "localhost" || name.startsWith("127.") || name === "[::1]";
}

/** Splits `host/path` into the registry host and the repository path. */
export function splitRepository(repository: string): { host: string; path: string } {
  const slash = repository.indexOf("/");
  return { host: repository.slice(0, slash), path: repository.slice(slash + 1) };
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

  /** Fetch with retries on 5xx and network errors, and one auth round-trip on 401. */
  private async request(
    host: string,
    path: string,
    scope: string,
    init: RequestInit,
  ): Promise<Response> {
    const url = this.url(host, path);
    const retries = this.options.retries ?? 3;
    const backoff = this.options.backoffMs ?? 250;
    let lastReason = "";
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        this.options.onRetry?.({ url, attempt, reason: lastReason });
        await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
      }
      let response: Response;
      try {
        response = await this.send(url, host, scope, init);
      } catch (error) {
        if (error instanceof HiltError) throw error;
        if (this.options.signal?.aborted) {
          throw new HiltError("INTERRUPTED", "interrupted while talking to the registry", {
            exitCode: ExitCode.interrupted,
          });
        }
        const cause = (error as Error & { cause?: { code?: string } }).cause;
        lastReason = cause?.code ?? (error as Error).message;
        continue;
      }
      if (response.status >= 500) {
        lastReason = `HTTP ${response.status}`;
        await response.arrayBuffer().catch(() => undefined);
        continue;
      }
      return response;
    }
    throw new HiltError(
      "REGISTRY_UNAVAILABLE",
      `registry ${host} did not answer after ${retries + 1} tries (${lastReason})`,
      {
        exitCode: ExitCode.registry,
        hint: "check that the registry is running and reachable, then run again",
      },
    );
  }

  private async send(
    url: string,
    host: string,
    scope: string,
    init: RequestInit,
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = this.tokens.get(`${host} ${scope}`);
    if (token) headers.set("Authorization", token);
    const response = await this.fetchImpl(url, { ...init, headers, signal: this.requestSignal() });
    if (response.status !== 401 || token) return response;
    const challenge = response.headers.get("www-authenticate") ?? "";
    await response.arrayBuffer().catch(() => undefined);
    const authorization = await this.authorize(host, scope, challenge);
    if (!authorization) return response;
    this.tokens.set(`${host} ${scope}`, authorization);
    headers.set("Authorization", authorization);
    return this.fetchImpl(url, { ...init, headers, signal: this.requestSignal() });
  }

  private requestSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    return this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
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
    if (!params.realm) return undefined;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set("service", params.service);
    tokenUrl.searchParams.set("scope", scope);
    const response = await this.fetchImpl(
      tokenUrl,
      basic ? { headers: { Authorization: basic } } : {},
    );
    if (!response.ok) {
      const who = credentials ? "the credentials" : "anonymous access";
      throw new HiltError(
        "REGISTRY_AUTH_FAILED",
        `registry ${host} refused ${who} (HTTP ${response.status})`,
        {
          exitCode: ExitCode.registry,
          hint: this.authHint(),
        },
      );
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  private authHint(): string {
    const credentials = this.options.credentials;
    return credentials
      ? `the credentials from ${credentials.source} were refused: check them, and that they may push (packages: write on GHCR)`
      : "set HILT_REGISTRY_USERNAME and HILT_REGISTRY_PASSWORD (or GITHUB_TOKEN for GHCR), or docker login";
  }

  private fail(host: string, response: Response, what: string): HiltError {
    if (response.status === 401 || response.status === 403) {
      return new HiltError(
        "REGISTRY_AUTH_FAILED",
        `registry ${host} refused ${what} (HTTP ${response.status})`,
        {
          exitCode: ExitCode.registry,
          hint: this.authHint(),
        },
      );
    }
    return new HiltError(
      "REGISTRY_ERROR",
      `registry ${host} answered HTTP ${response.status} to ${what}`,
      { exitCode: ExitCode.registry },
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
    if (!response.ok) throw this.fail(host, response, `a lookup of ${repository}:${reference}`);
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
    if (!response.ok) throw this.fail(host, response, `reading ${repository}:${reference}`);
    const body = Buffer.from(await response.arrayBuffer());
    return {
      digest: response.headers.get("docker-content-digest") ?? "",
      mediaType: response.headers.get("content-type") ?? "",
      body,
    };
  }

  /** Points `tag` at an existing manifest, as `docker buildx imagetools create` would. */
  async tagManifest(repository: string, digest: string, tag: string): Promise<void> {
    const manifest = await this.getManifest(repository, digest);
    if (!manifest)
      throw new HiltError("REGISTRY_ERROR", `${repository}@${digest} is not in the registry`, {
        exitCode: ExitCode.registry,
      });
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
    if (!response.ok) throw this.fail(host, response, `tagging ${repository}:${tag}`);
  }
}
