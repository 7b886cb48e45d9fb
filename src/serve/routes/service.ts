import { Hono } from "hono";
import type { z } from "zod";
import { loadProject } from "../../app/plan.js";
import { HiltError } from "../../errors.js";
import { resolveInside } from "../../fs/untrusted.js";
import { resolveRuntimeImage } from "../../runtime/resolve-image.js";
import { type AuthEnv, requireScope } from "../auth.js";
import { errorResponse } from "../http-error.js";
import { resolveImageQuerySchema } from "../schemas.js";
import type { JobStore } from "../store/types.js";
import { invalidRequest } from "../validation.js";

/** Liveness and readiness: no token needed (load balancers and probes call them). */
export function healthRoutes(store: JobStore, version: string) {
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true, version }));
  app.get("/ready", async (c) => {
    try {
      await store.list({ limit: 1 });
      return c.json({ ok: true });
    } catch {
      return errorResponse(
        c,
        new HiltError("QUEUE_UNAVAILABLE", "the job queue cannot be reached", {
          hint: "see the server's log for the store's error",
        }),
      );
    }
  });
  return app;
}

/** `hilt resolve-image` over HTTP: which image a session or a task runs in. */
export function resolveImageRoute(root: string) {
  const app = new Hono<AuthEnv>();
  app.get("/", requireScope("read"), async (c) => {
    try {
      const parsed = resolveImageQuerySchema.safeParse(c.req.query());
      if (!parsed.success) throw invalidRequest("query", parsed.error as z.ZodError);
      const { mode, provider, needs, workspace } = parsed.data;
      const dir = resolveInside(root, workspace ?? ".");
      const resolution = await resolveRuntimeImage(
        {
          mode,
          ...(provider ? { provider } : {}),
          ...(needs ? { needs: needs.split(",").filter(Boolean) } : {}),
          env: process.env,
        },
        { load: async () => (await loadProject({ root: dir })).catalog.catalog, named: false },
      );
      return c.json(resolution);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
  return app;
}
