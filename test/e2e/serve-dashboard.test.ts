import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempRepo } from "../helpers/cli.js";
import { type E2EEnv, e2eEnv, REPO_ROOT, registryDigest, uniqueName } from "./env.js";
import { chromiumPath, type ServeProcess, startServe } from "./serve-server.js";

/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core):
 * open the page, give it the token, submit a real build, watch its live log and status reach
 * the end, copy a result ref, and keep a screenshot under test-results/.
 */

const env = e2eEnv();
const FINAL = ["succeeded", "failed", "cancelled", "interrupted"];

describe.skipIf(!env)("hilt serve's dashboard in headless chromium", () => {
  const e = env as E2EEnv;
  const token = randomBytes(24).toString("hex");
  const nonce = randomBytes(4).toString("hex");
  const push = `${e.registry}/${uniqueName("dashboard")}`;
  let server: ServeProcess;
  let browser: Browser;
  let workspace: string;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    workspace = tempRepo(
      {
        "catalog.yaml": `schemaVersion: 1
images:
  dash-demo:
    from: debian:bookworm-slim
    steps:
      - env: { NONCE: "${nonce}" }
      - run: for i in 1 2 3; do echo "step $i $NONCE"; sleep 1; done > /steps
    cmd: [cat, /steps]
`,
      },
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

  it("submits a build, follows it live to the end and copies its ref", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const page = await context.newPage();
    const urls: string[] = [];
    const pageErrors: string[] = [];
    page.on("request", (request) => urls.push(request.url()));
    page.on("pageerror", (error) => pageErrors.push(error.message));

    await page.goto(`${server.url}/`);
    // Without a token the API answers 401 and the page says what to do.
    await expect
      .poll(async () => page.textContent("#notice"), { timeout: 30_000 })
      .toMatch(/needs a token/);
    await page.fill("#token", token);
    await page.click("#token-form button[type=submit]");
    await expect.poll(async () => page.isHidden("#notice"), { timeout: 30_000 }).toBe(true);

    await page.selectOption("#kind", "build");
    await page.fill(
      "#options",
      JSON.stringify({
        targets: ["dash-demo"],
        push,
        engine: "docker",
        platforms: ["linux/amd64"],
        baseImages: { "debian:bookworm-slim": e.baseImage },
      }),
    );
    await page.click("#submit");
    await page.waitForSelector("#job:not([hidden])");
    const jobId = (await page.textContent("#job-title"))?.split(" ")[1] ?? "";
    expect(jobId).not.toBe("");

    // The live log fills while the job runs, then the status turns final.
    await page.waitForSelector("#log .l-started", { timeout: 300_000 });
    const finalSelector = FINAL.map((s) => `#job-status[data-status="${s}"]`).join(", ");
    await page.waitForSelector(finalSelector, { timeout: 600_000 });
    expect(await page.getAttribute("#job-status", "data-status")).toBe("succeeded");
    await page.waitForSelector("#log .l-run-finished");
    const log = (await page.textContent("#log")) ?? "";
    expect(log).toMatch(/finished\s+dash-demo {2}built/);
    expect(await page.textContent("#stream-state")).toBe("ended");

    // The job's row in the list follows (auto-refresh), and the result's refs are listed.
    await page.waitForSelector(`#jobs tr[data-id="${jobId}"] [data-status="succeeded"]`, {
      timeout: 30_000,
    });
    const refs = await page.$$eval("#refs code.ref", (nodes) => nodes.map((n) => n.textContent));
    const tagged = refs.find((ref) => ref?.startsWith(`${push}/dash-demo:`)) ?? "";
    const pinned = refs.find((ref) => ref?.startsWith(`${push}/dash-demo@sha256:`)) ?? "";
    expect(tagged).not.toBe("");
    expect(pinned.split("@")[1]).toBe(await registryDigest(tagged));

    // Copy buttons put the ref on the clipboard.
    const index = refs.indexOf(tagged);
    await page.locator("#refs button.copy").nth(index).click();
    await expect.poll(() => page.evaluate("navigator.clipboard.readText()")).toBe(tagged);

    mkdirSync(path.join(REPO_ROOT, "test-results"), { recursive: true });
    await page.screenshot({
      path: path.join(REPO_ROOT, "test-results", "serve-dashboard.png"),
      fullPage: true,
    });

    // An uploaded archive as the job's source: detect runs on the unpacked tree.
    const upload = tempRepo(
      { "src/package.json": '{"name":"up","scripts":{"start":"node server.js"}}' },
      (fn) => cleanups.push(fn),
    );
    const tarball = path.join(upload, "repo.tar.gz");
    expect(spawnSync("tar", ["-czf", tarball, "-C", path.join(upload, "src"), "."]).status).toBe(0);
    await page.selectOption("#kind", "detect");
    await page.fill("#options", "{}");
    await page.setInputFiles("#archive", tarball);
    await page.click("#submit");
    await page.locator("#job-title", { hasText: /^detect / }).waitFor();
    await page.waitForSelector('#job-status[data-status="succeeded"]', { timeout: 120_000 });
    expect(await page.textContent("#job-meta")).toMatch(/archive sha256:[0-9a-f]{12}/);

    // The token travelled only in headers: never in a URL, never in the server's log.
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) expect(url).not.toContain(token);
    expect(server.stderr()).not.toContain(token);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("serves the page with a strict content security policy and no token", async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).not.toMatch(/<script>/);
    const script = await fetch(`${server.url}/dashboard/app.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    const etag = script.headers.get("etag") ?? "";
    const again = await fetch(`${server.url}/dashboard/app.js`, {
      headers: { "If-None-Match": etag },
    });
    expect(again.status).toBe(304);
    // The API itself still wants the token.
    expect((await fetch(`${server.url}/jobs`)).status).toBe(401);
  });
});
