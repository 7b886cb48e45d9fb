import type { MiddlewareHandler } from "hono";
import { HiltError } from "../errors.js";
import { errorResponse } from "./http-error.js";
import { matchToken, type Scope, type TokenEntry } from "./tokens.js";

/** Who made the request: a token's id, or "local" when the server runs without tokens. */
export interface Caller {
  id: string;
  scopes: ReadonlySet<Scope>;
}

export type AuthEnv = { Variables: { caller: Caller } };

const LOCAL: Caller = { id: "local", scopes: new Set<Scope>(["read", "build"]) };

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Bearer-token authentication. Without configured tokens (only allowed on loopback) every
 * caller is "local" with every scope.
 */
export function authenticate(tokens: readonly TokenEntry[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (tokens.length === 0) {
      c.set("caller", LOCAL);
      return next();
    }
    const presented = bearer(c.req.header("authorization"));
    const entry = presented === undefined ? undefined : matchToken(tokens, presented);
    if (!entry)
      return errorResponse(
        c,
        new HiltError(
          "UNAUTHORIZED",
          presented === undefined ? "no bearer token" : "the bearer token is not valid",
          { hint: "send Authorization: Bearer <token> with a token the server was started with" },
        ),
        { "WWW-Authenticate": 'Bearer realm="hilt"' },
      );
    c.set("caller", { id: entry.id, scopes: entry.scopes });
    return next();
  };
}

export function requireScope(scope: Scope): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (c.get("caller").scopes.has(scope)) return next();
    return errorResponse(
      c,
      new HiltError("FORBIDDEN", `this token may not ${scope}`, {
        hint: `use a token with the ${scope} scope (TOKEN:${scope} or a bare TOKEN)`,
      }),
    );
  };
}
