import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";

/**
 * The dashboard at `/`: three static files (HTML, JS, CSS) read once at start-up. They hold no
 * data and no token, so they are served without authentication; every job the page shows comes
 * from the API with the token the user pastes in, sent as a header.
 */

interface Asset {
  body: string;
  type: string;
  etag: string;
}

const FILES = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/dashboard/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/dashboard/app.css": ["app.css", "text/css; charset=utf-8"],
} as const;

// Only this origin's scripts, styles and API: no inline script, no framing, no third party.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Where the files are: next to this module in the sources (static/), or, in the CLI bundle
 * (dist/bundle/), in dashboard/ beside the chunk (scripts/bundle.mjs copies them there).
 */
export function dashboardDir(): string {
  for (const relative of ["./static/", "./dashboard/"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error("the dashboard's files are missing (src/serve/dashboard/static)");
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [route, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(`${dir}${file}`, "utf8");
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    assets.set(route, { body, type, etag });
  }
  return assets;
}

/** A Hono app serving the dashboard; mount it with `app.route("/", dashboardRoutes())`. */
export function dashboardRoutes(dir: string = dashboardDir()): Hono {
  const assets = loadAssets(dir);
  const app = new Hono();
  for (const [route, asset] of assets) {
    app.get(route, (c) => {
      c.header("Content-Security-Policy", CSP);
      c.header("X-Content-Type-Options", "nosniff");
      c.header("Referrer-Policy", "no-referrer");
      c.header("Cache-Control", "no-cache");
      c.header("ETag", asset.etag);
      if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
      c.header("Content-Type", asset.type);
      return c.body(asset.body);
    });
  }
  return app;
}
