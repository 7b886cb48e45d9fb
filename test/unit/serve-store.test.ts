import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { queueError } from "../../src/serve/store/guard.js";
import { openJobStore, redactLocation } from "../../src/serve/store/open.js";
import { openSqliteStore } from "../../src/serve/store/sqlite.js";
import { describeJobStoreContract, describeQueueProcesses } from "../helpers/job-store-contract.js";

const dir = mkdtempSync(path.join(tmpdir(), "hilt-store-"));
let count = 0;
const newQueue = async () => path.join(dir, `q${++count}`, "jobs.db");

describeJobStoreContract("SQLite", newQueue);
describeQueueProcesses("SQLite", newQueue);

describe("openJobStore", () => {
  const stores: { close(): Promise<void> }[] = [];
  afterAll(async () => Promise.all(stores.map((s) => s.close())));

  it("opens SQLite from sqlite:PATH, sqlite:///PATH and a plain path, in WAL mode", async () => {
    for (const prefix of ["sqlite:", "sqlite://", ""]) {
      const file = await newQueue();
      const store = await openJobStore(`${prefix}${file}`);
      stores.push(store);
      await store.submit({ kind: "plan", workspace: ".", options: {} }, { owner: "t" });
      const db = new Database(file, { readonly: true });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.prepare("SELECT count(*) AS n FROM jobs").get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT version FROM schema_version").all()).toEqual([{ version: 1 }]);
      db.close();
    }
    const memory = await openJobStore("sqlite::memory:");
    stores.push(memory);
    expect((await memory.list({ limit: 5 })).jobs).toEqual([]);
  });

  it("syncs job state changes to disk (synchronous=FULL) and waits for a busy database", async () => {
    const store = await openSqliteStore(await newQueue());
    stores.push(store);
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    const { job } = await store.submit(
      { kind: "plan", workspace: ".", options: {} },
      { owner: "t" },
    );
    await store.appendEvent(job.id, { event: "started" }); // committed at NORMAL
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    await expect(store.appendEvent("not-a-job", {})).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    expect(db.pragma("busy_timeout", { simple: true })).toBeGreaterThanOrEqual(5000);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("refuses an unknown scheme without echoing its password", async () => {
    const error = await openJobStore("mysql://root:hunter2@db/jobs").catch((e) => e);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", exitCode: 2 });
    expect(error.message).not.toContain("hunter2");
    expect(error.hint).toMatch(/postgres:\/\//);
    expect(redactLocation("postgres://u:secret@h:5/db")).toBe("postgres://u:***@h:5/db");
  });

  it("says QUEUE_UNAVAILABLE for a file that is not a job queue, and for a newer schema", async () => {
    const notDb = path.join(dir, "not-a-db");
    writeFileSync(notDb, "x".repeat(4096));
    const error = await openJobStore(notDb).catch((e) => e);
    expect(error).toMatchObject({ code: "QUEUE_UNAVAILABLE", exitCode: 4 });
    expect(error.message).toContain(notDb);
    expect(error.message).not.toContain("xxxx");

    const newer = await newQueue();
    (await openJobStore(newer)).close();
    const db = new Database(newer);
    db.prepare("UPDATE schema_version SET version = 99").run();
    db.close();
    await expect(openJobStore(newer)).rejects.toMatchObject({
      code: "QUEUE_UNAVAILABLE",
      message: expect.stringContaining("schema version 99"),
    });
  });

  it("says what to install when better-sqlite3 cannot load (it is optional)", async () => {
    vi.resetModules();
    vi.doMock("better-sqlite3", () => {
      throw new Error("Could not locate the bindings file");
    });
    try {
      const fresh = await import("../../src/serve/store/open.js");
      const error = await fresh.openJobStore(await newQueue()).catch((e) => e);
      expect(error).toMatchObject({ code: "QUEUE_UNAVAILABLE", exitCode: 4 });
      expect(error.hint).toMatch(/install better-sqlite3.*--queue postgres:\/\//);
    } finally {
      vi.doUnmock("better-sqlite3");
      vi.resetModules();
    }
  });

  it("says QUEUE_UNAVAILABLE (retry) for a queue locked too long, a lost server or a full disk", async () => {
    const file = await newQueue();
    const store = await openJobStore(file);
    stores.push(store);
    const locker = new Database(file);
    locker.exec("BEGIN IMMEDIATE");
    const busy = new Database(file, { timeout: 0 });
    let sqliteError: unknown;
    try {
      busy.exec("BEGIN IMMEDIATE");
    } catch (error) {
      sqliteError = error;
    }
    locker.exec("ROLLBACK");
    busy.close();
    locker.close();
    expect(queueError(sqliteError)).toMatchObject({ code: "QUEUE_UNAVAILABLE", exitCode: 4 });
    const lost = Object.assign(new Error("terminating connection"), { code: "57P01" });
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const full = Object.assign(new Error("disk full"), { code: "SQLITE_FULL" });
    for (const error of [lost, refused, full, new Error("Connection terminated unexpectedly")]) {
      expect(queueError(error)).toMatchObject({ code: "QUEUE_UNAVAILABLE", cause: error });
    }
    const syntax = Object.assign(new Error("syntax error"), { code: "42601" });
    expect(queueError(syntax)).toBe(syntax); // a bug stays a bug
    const constraint = Object.assign(new Error("UNIQUE failed"), { code: "SQLITE_CONSTRAINT" });
    expect(queueError(constraint)).toBe(constraint);
  });

  it("names the PostgreSQL server it cannot reach, never the password", async () => {
    const error = await openJobStore("postgres://u:hunter2@127.0.0.1:1/none").catch((e) => e);
    expect(error).toMatchObject({ code: "QUEUE_UNAVAILABLE", exitCode: 4 });
    expect(error.message).toContain("127.0.0.1:1/none");
    expect(`${error.message} ${error.hint}`).not.toContain("hunter2");
    for (const bad of ["postgres://h/db?schema=Bad;Drop", "postgres://u:hunter2@[::1/db"]) {
      const refused = await openJobStore(bad).catch((e) => e);
      expect(refused).toMatchObject({ code: "INVALID_ARGUMENT", exitCode: 2 });
      expect(refused.message).not.toContain("hunter2");
    }
  });
});
