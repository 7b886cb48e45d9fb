import type { MiddlewareHandler } from "hono";
import { HiltError } from "../errors.js";
import type { AuthEnv } from "./auth.js";
import { errorResponse } from "./http-error.js";

export interface RateLimit {
  /** Requests a caller may make at once before it is slowed down. */
  burst: number;
  /** Requests per second a caller gets back. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** How many idle buckets are kept before the oldest are forgotten (a full bucket is no state). */
const MAX_BUCKETS = 10_000;

/** A token bucket per caller; `now` is injectable for tests. */
export function tokenBuckets(limit: RateLimit, now: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();
  return {
    /** 0 when the request may go ahead, else the seconds until it may. */
    take(key: string): number {
      const time = now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: time };
      bucket.tokens = Math.min(
        limit.burst,
        bucket.tokens + ((time - bucket.at) / 1000) * limit.perSecond,
      );
      bucket.at = time;
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value as string);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
    },
  };
}

/** Per caller (a token's id; the peer address when the server runs without tokens). */
export function rateLimit(
  limit: RateLimit,
  peer: (c: Parameters<MiddlewareHandler<AuthEnv>>[0]) => string,
): MiddlewareHandler<AuthEnv> {
  const buckets = tokenBuckets(limit);
  return async (c, next) => {
    const caller = c.get("caller");
    const key = caller.id === "local" ? `ip:${peer(c)}` : caller.id;
    const wait = buckets.take(key);
    if (wait === 0) return next();
    return errorResponse(
      c,
      new HiltError("RATE_LIMITED", `too many requests; try again in ${wait} s`, {
        hint: `this server allows ${limit.perSecond} requests per second per token (burst ${limit.burst})`,
      }),
      { "Retry-After": String(wait) },
    );
  };
}
