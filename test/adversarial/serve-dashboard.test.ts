import { randomBytes } from "node:crypto";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, type ServeProcess, startServe } from "../e2e/serve-server.js";
import { tempRepo } from "../helpers/cli.js";

/**
 * The dashboard against hostile input: text a job carries (target names the caller chose, error
 * messages) is shown as text and never runs; its static routes serve their three files and
 * nothing else; a wrong token is refused and never echoed. In headless chromium (test/env/up.sh
 * installs Debian's).
 */

const _REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const HOSTILE = [`<img src=x onerror="window.__xss=1">`, "<script>window.__xss=2</script>"];

describe("dashboard: hostile input", () => {
  const token = randomBytes(24).toString("hex");
  let server: ServeProcess;
  let browser: Browser;
  let workspace: string;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    workspace = tempRepo(
      { "catalog.yaml": "schemaVersion: 1\nimages:\n  one:\n    from: debian:bookworm-slim\n" },
      (fn) => cleanups.push(fn),
    );
    server = await startServe(
      ["--workspace", workspace, "--queue", `sqlite:${path.join(workspace, ".queue.db")}`],
      { HILT_SERVE_TOKENS: token },
    );
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await server.stop();
    for (const cleanup of cleanups) cleanup();
  });

  it("shows markup from a job as text: nothing runs, no element is made from it", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("dialog", (dialog) => errors.push(`dialog: ${dialog.message()}`));
    await page.goto(`${server.url}/`);
    await page.fill("#token", token);
    await page.click("#token-form button[type=submit]");
    await page.selectOption("#kind", "plan");
    await page.fill("#options", JSON.stringify({ targets: HOSTILE }));
    await page.click("#submit");
    await page.waitForSelector('#job-status[data-status="failed"]', { timeout: 50_000 });

    const text = (await page.textContent("#job")) ?? "";
    expect(text).toContain(HOSTILE[0]);
    expect(text).toMatch(/UNKNOWN_TARGET/);
    expect(await page.evaluate("window.__xss")).toBeUndefined();
    expect(await page.locator("#job img, #job script, #jobs img, #jobs script").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("serves the three dashboard files and nothing else", async () => {
    for (const probe of [
      "/dashboard/../package.json",
      "/dashboard/%2e%2e/%2e%2e/package.json",
      "/dashboard/routes.ts",
      "/dashboard/static/app.js",
      "/dashboard/",
      "/index.html",
      "/dashboard/app.js%00.txt",
    ]) {
      const response = await fetch(`${server.url}${probe}`);
      const body = await response.text();
      expect(response.status, probe).toBe(404);
      expect(JSON.parse(body).error.code, probe).toBe("NOT_FOUND");
      expect(body).not.toContain('"name": "hilt"');
    }
    const post = await fetch(`${server.url}/`, { method: "POST", body: "x" });
    expect(post.status).toBe(404);
    expect(JSON.parse(await post.text()).error.code).toBe("NOT_FOUND");
  });

  it("refuses a wrong token with 401, never echoing it, never putting it in a URL", async () => {
    const wrong = `wrong-${randomBytes(16).toString("hex")}`;
    const page = await browser.newPage();
    const urls: string[] = [];
    page.on("request", (request) => urls.push(request.url()));
    await page.goto(`${server.url}/`);
    await page.fill("#token", wrong);
    await page.click("#token-form button[type=submit]");
    await expect.poll(async () => page.textContent("#notice")).toMatch(/needs a token/);
    const response = await fetch(`${server.url}/jobs`, {
      headers: { Authorization: `Bearer ${wrong}` },
    });
    expect(response.status).toBe(401);
    const body = await response.text();
    expect(JSON.parse(body).error.code).toBe("UNAUTHORIZED");
    expect(body).not.toContain(wrong);
    for (const url of urls) expect(url).not.toContain(wrong);
    expect(server.stderr()).not.toContain(wrong);
    expect(server.stderr()).not.toContain(token);
    await page.close();
  });
});
