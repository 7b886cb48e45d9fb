// Hilt's dashboard: plain JS, no build step. Every request carries the token in the
// Authorization header (never in a URL); the live log is read with fetch() streaming, because
// EventSource cannot send that header. Untrusted text only ever reaches the page as textContent.

const TOKEN_KEY = "hilt.token";
const REFRESH_MS = 2000;
const FINAL = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
const $ = (id) => document.getElementById(id);

const state = { token: "", filter: "", next: undefined, jobId: undefined, stream: undefined };

function loadToken() {
  state.token = sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || "";
  $("remember").checked = localStorage.getItem(TOKEN_KEY) !== null;
}

function headers(extra) {
  const h = { Accept: "application/json", ...extra };
  if (state.token) h.Authorization = `Bearer ${state.token}`;
  return h;
}

function notice(text) {
  const el = $("notice");
  el.textContent = text || "";
  el.hidden = !text;
}

/** fetch() + JSON; a failure becomes an Error with the server's code and message. */
async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const err = body?.error ? body.error : {};
    const error = new Error(
      `${response.status} ${err.code || response.statusText}: ${err.message || "request failed"}`,
    );
    error.status = response.status;
    error.hint = err.hint;
    throw error;
  }
  return body;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function duration(job) {
  if (!job.startedAt) return "";
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  const s = Math.max(0, (end - Date.parse(job.startedAt)) / 1000);
  return s < 60
    ? `${s.toFixed(1)}s`
    : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

function statusBadge(status) {
  return el("span", { class: `status s-${status}`, "data-status": status }, status);
}

// ---- jobs list -------------------------------------------------------------------------------

function jobRow(job) {
  const link = el("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.id.slice(0, 12));
  const row = el(
    "tr",
    { "data-id": job.id },
    el("td", {}, link),
    el("td", {}, job.kind),
    el("td", {}, statusBadge(job.status)),
    el("td", { class: "mono" }, job.request ? job.request.workspace : ""),
    el("td", {}, when(job.createdAt)),
    el("td", {}, duration(job)),
  );
  if (job.id === state.jobId) row.classList.add("selected");
  return row;
}

let refreshTimer;
async function refreshJobs(append) {
  clearTimeout(refreshTimer);
  try {
    const query = new URLSearchParams({ limit: "25" });
    if (state.filter) query.set("status", state.filter);
    if (append && state.next) query.set("cursor", state.next);
    const page = await api(`/jobs?${query}`);
    const body = $("jobs").tBodies[0];
    const rows = page.jobs.map(jobRow);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    state.next = page.next;
    const shown = page.jobs.find((job) => job.id === state.jobId);
    if (shown && shown.status !== $("job-status").dataset.status) {
      api(`/jobs/${encodeURIComponent(shown.id)}`).then(showJob, () => {});
    }
    $("more").hidden = !state.next;
    $("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (!body.rows.length)
      body.append(el("tr", {}, el("td", { colSpan: 6, class: "muted" }, "no jobs")));
    notice("");
  } catch (error) {
    notice(error.status === 401 ? "This server needs a token: paste it above." : error.message);
  }
  if (!append) refreshTimer = setTimeout(tick, REFRESH_MS);
}

function tick() {
  if (document.hidden) refreshTimer = setTimeout(tick, REFRESH_MS);
  else refreshJobs(false);
}

// ---- submit ----------------------------------------------------------------------------------

async function submitJob(event) {
  event.preventDefault();
  let options;
  try {
    options = JSON.parse($("options").value.trim() || "{}");
  } catch {
    notice('Options must be a JSON object, e.g. {"push": "ttl.sh"}.');
    return;
  }
  const extra = { "Content-Type": "application/json" };
  const key = $("idem").value.trim();
  if (key) extra["Idempotency-Key"] = key;
  const kind = $("kind").value;
  const workspace = $("workspace").value.trim() || ".";
  const git = $("git").value.trim();
  const ref = $("ref").value.trim();
  const archive = $("archive").files[0];
  if (git && archive) {
    notice("Give a git URL or an archive, not both.");
    return;
  }
  $("submit").disabled = true;
  try {
    // An archive is the body of POST /jobs/archive, the job's fields go in its query.
    const body = archive
      ? await api(
          `/jobs/archive?${new URLSearchParams({ kind, workspace, options: JSON.stringify(options) })}`,
          {
            method: "POST",
            headers: { ...extra, "Content-Type": "application/octet-stream" },
            body: archive,
          },
        )
      : await api("/jobs", {
          method: "POST",
          headers: extra,
          body: JSON.stringify({
            kind,
            workspace,
            options,
            ...(git ? { source: { git, ...(ref ? { ref } : {}) } } : {}),
          }),
        });
    const job = body?.job ? body.job : body;
    notice("");
    await refreshJobs(false);
    if (job?.id) location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
  } catch (error) {
    notice(error.hint ? `${error.message} (${error.hint})` : error.message);
  } finally {
    $("submit").disabled = false;
  }
}

// ---- one job ---------------------------------------------------------------------------------

/** Every ref a result names: images' refs for builds, each node's refs for a plan. */
function refsOf(result) {
  const refs = [];
  const add = (ref) => typeof ref === "string" && ref && !refs.includes(ref) && refs.push(ref);
  if (!result || typeof result !== "object") return refs;
  for (const image of Array.isArray(result.images) ? result.images : []) {
    for (const ref of Array.isArray(image.refs) ? image.refs : []) add(ref);
    if (image.digest && Array.isArray(image.refs) && image.refs[0]) {
      const repo = image.refs[0].replace(/:[^:/@]+$/, "");
      add(`${repo}@${image.digest}`);
    }
  }
  for (const node of Array.isArray(result.nodes) ? result.nodes : []) {
    const r = node.refs || {};
    for (const list of Object.values(r)) if (Array.isArray(list)) list.forEach(add);
  }
  add(result.client);
  add(result.server);
  return refs;
}

async function copyText(text, button) {
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
    else {
      // Plain http on another host is no secure context: the old way still copies.
      const area = el("textarea", { value: text, readOnly: true });
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "copied";
  } catch {
    button.textContent = "copy failed";
  }
  setTimeout(() => {
    button.textContent = "copy";
  }, 1500);
}

function showRefs(result) {
  const refs = refsOf(result);
  const list = $("refs");
  if (!refs.length) {
    list.replaceChildren(el("li", { class: "muted" }, "none yet"));
    return;
  }
  list.replaceChildren(
    ...refs.map((ref) => {
      const button = el("button", { type: "button", class: "copy", title: "copy" }, "copy");
      button.addEventListener("click", () => copyText(ref, button));
      return el("li", {}, el("code", { class: "ref" }, ref), " ", button);
    }),
  );
}

/** A job's git source with its pinned commit, or its uploaded archive's digest. */
function sourceText(source) {
  if (!source) return "";
  if (source.git)
    return `${source.git} ${source.ref || "HEAD"}${source.commit ? ` @ ${source.commit.slice(0, 12)}` : ""}`;
  const sha = source.archive?.sha256;
  return source.archive ? `archive${sha ? ` sha256:${String(sha).slice(0, 12)}` : ""}` : "";
}

function showJob(job) {
  $("job-title").textContent = `${job.kind} ${job.id}`;
  const badge = $("job-status");
  badge.textContent = job.status;
  badge.className = `status s-${job.status}`;
  badge.dataset.status = job.status;
  $("cancel").hidden = FINAL.has(job.status);
  const meta = [
    ["source", sourceText(job.request?.source)],
    ["workspace", job.request ? job.request.workspace : ""],
    ["options", job.request ? JSON.stringify(job.request.options) : ""],
    ["owner", job.owner],
    ["created", when(job.createdAt)],
    ["started", when(job.startedAt)],
    ["finished", when(job.finishedAt)],
    ["time", duration(job)],
    ["exit code", job.exitCode ?? ""],
  ].filter(([, v]) => v !== "" && v !== undefined);
  $("job-meta").replaceChildren(...meta.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const error = job.result?.error;
  $("job-error").hidden = !error;
  $("job-error").textContent = error
    ? `${error.code}: ${error.message}${error.hint ? ` — ${error.hint}` : ""}`
    : "";
  showRefs(job.result);
  $("result").textContent = job.result ? JSON.stringify(job.result, null, 2) : "";
  $("result-box").hidden = !job.result;
}

function logLine(event) {
  const time = typeof event.time === "string" ? event.time.slice(11, 19) : "";
  const name = event.event || "event";
  const parts = [];
  if (event.image) parts.push(event.image);
  if (event.status) parts.push(event.status);
  if (typeof event.durationMs === "number") parts.push(`${(event.durationMs / 1000).toFixed(1)}s`);
  if (event.message) parts.push(event.message);
  if (event.error) parts.push(String(event.error));
  if (Array.isArray(event.refs)) parts.push(event.refs.join(" "));
  if (event.ok !== undefined) parts.push(event.ok ? "ok" : "not ok");
  const known = new Set([
    "event",
    "time",
    "image",
    "status",
    "durationMs",
    "message",
    "error",
    "refs",
    "ok",
  ]);
  if (name === "end") known.add("id");
  const rest = Object.fromEntries(Object.entries(event).filter(([k]) => !known.has(k)));
  if (Object.keys(rest).length) parts.push(JSON.stringify(rest));
  const cls = name === "finished" && event.status === "failed" ? "l-failed" : `l-${name}`;
  return el(
    "div",
    { class: `line ${cls}` },
    el("span", { class: "t" }, time),
    ` ${name.padEnd(13)} `,
    parts.join("  "),
  );
}

function appendLog(event) {
  const log = $("log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(logLine(event));
  if (atBottom) log.scrollTop = log.scrollHeight;
}

/** Splits a text/event-stream into messages; calls onMessage({id, event, data}). */
function sseParser(onMessage) {
  let buffer = "";
  let message = { data: [] };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (message.data.length) onMessage({ ...message, data: message.data.join("\n") });
        message = { data: [] };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") message.data.push(value);
        else if (field === "id") message.id = value;
        else if (field === "event") message.event = value;
      }
    }
  };
}

/**
 * Follows a job's events until the server ends the stream for a finished job; a dropped
 * connection resumes after the last event seen (Last-Event-ID), so nothing shows twice.
 */
async function follow(jobId) {
  const controller = new AbortController();
  const stream = { controller, lastId: undefined, jobId };
  state.stream = stream;
  const label = $("stream-state");
  for (let attempt = 0; state.stream === stream; attempt++) {
    label.textContent = "live";
    try {
      const extra = { Accept: "text/event-stream" };
      if (stream.lastId !== undefined) extra["Last-Event-ID"] = stream.lastId;
      const response = await fetch(`/jobs/${encodeURIComponent(jobId)}/events`, {
        headers: headers(extra),
        signal: controller.signal,
      });
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      const parse = sseParser((message) => {
        if (message.id !== undefined) stream.lastId = message.id;
        let data;
        try {
          data = JSON.parse(message.data);
        } catch {
          data = { event: message.event || "message", message: message.data };
        }
        if (message.event && message.event !== "message" && !data.event) data.event = message.event;
        appendLog(data);
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parse(value);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      label.textContent = `reconnecting (${error.message})`;
    }
    if (state.stream !== stream) return;
    const job = await api(`/jobs/${encodeURIComponent(jobId)}`).catch(() => undefined);
    if (job) showJob(job);
    if (job && FINAL.has(job.status)) {
      label.textContent = "ended";
      refreshJobs(false);
      return;
    }
    await new Promise((r) => setTimeout(r, Math.min(5000, 500 * (attempt + 1))));
  }
}

async function openJob(jobId) {
  if (state.stream) state.stream.controller.abort();
  state.stream = undefined;
  state.jobId = jobId;
  for (const row of $("jobs").tBodies[0].rows)
    row.classList.toggle("selected", row.dataset.id === jobId);
  // Shown once the job is loaded: never an empty panel, or the previous job's.
  $("job").hidden = true;
  if (!jobId) return;
  $("log").replaceChildren();
  $("stream-state").textContent = "";
  try {
    const job = await api(`/jobs/${encodeURIComponent(jobId)}`);
    if (state.jobId !== jobId) return;
    showJob(job);
    $("job").hidden = false;
    follow(jobId);
  } catch (error) {
    notice(error.message);
  }
}

function route() {
  const match = /^#\/jobs\/([^/]+)$/.exec(location.hash);
  const id = match ? decodeURIComponent(match[1]) : undefined;
  if (id !== state.jobId) openJob(id);
}

async function cancelJob() {
  if (!state.jobId) return;
  try {
    await api(`/jobs/${encodeURIComponent(state.jobId)}/cancel`, { method: "POST" });
    showJob(await api(`/jobs/${encodeURIComponent(state.jobId)}`));
  } catch (error) {
    notice(error.message);
  }
}

async function serverInfo() {
  try {
    const health = await fetch("/health").then((r) => r.json());
    $("server").textContent = health.version ? `hilt ${health.version}` : "connected";
  } catch {
    $("server").textContent = "server unreachable";
  }
}

function init() {
  loadToken();
  $("token").value = state.token;
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    if (state.token)
      ($("remember").checked ? localStorage : sessionStorage).setItem(TOKEN_KEY, state.token);
    refreshJobs(false);
    if (state.jobId) openJob(state.jobId);
  });
  $("forget").addEventListener("click", () => {
    state.token = "";
    $("token").value = "";
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    refreshJobs(false);
  });
  $("submit-form").addEventListener("submit", submitJob);
  $("filter").addEventListener("change", () => {
    state.filter = $("filter").value;
    refreshJobs(false);
  });
  $("more").addEventListener("click", () => refreshJobs(true));
  $("cancel").addEventListener("click", cancelJob);
  window.addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", () => !document.hidden && refreshJobs(false));
  serverInfo();
  refreshJobs(false);
  route();
}

init();
