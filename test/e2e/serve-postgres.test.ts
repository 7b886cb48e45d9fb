import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openJobStore } from "../../src/serve/store/open.js";
import type { JobStore } from "../../src/serve/store/types.js";
import { tempRepo } from "../helpers/cli.js";
import { describeJobStoreContract, describeQueueProcesses } from "../helpers/job-store-contract.js";
import { startServe } from "./serve-server.js";

// The JobStore contract against a real PostgreSQL server (test/env/up.sh starts one); each test
// gets its own schema, all dropped at the end, so parallel runs never share a queue.
const url = process.env.HILT_E2E_POSTGRES_URL;
const prefix = `hilt_t${randomBytes(4).toString("hex")}_`;
let count = 0;
const newQueue = async () => {
  const target = new URL(url as string);
  target.searchParams.set("schema", `${prefix}${++count}`);
  return target.toString();
};

if (url) {
  describeJobStoreContract("PostgreSQL", newQueue);
  describeQueueProcesses("PostgreSQL", newQueue);
  describe("PostgreSQL job queue schema", () => {
    it("migrates one new schema once when several servers start at the same time", async () => {
      const location = await newQueue();
      const stores = await Promise.all([1, 2, 3].map(() => openJobStore(location)));
      const { job } = await (stores[0] as JobStore).submit(
        { kind: "plan", workspace: ".", options: {} },
        { owner: "t" },
      );
      expect((await stores[2]?.get(job.id))?.id).toBe(job.id);
      await Promise.all(stores.map((store) => store.close()));
      const schema = new URL(location).searchParams.get("schema");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const version = await client.query(`SELECT version FROM ${schema}.schema_version`);
      expect(version.rows).toEqual([{ version: 1 }]);
      await client.query(`UPDATE ${schema}.schema_version SET version = 99`);
      await client.end();
      await expect(openJobStore(location)).rejects.toMatchObject({
        code: "QUEUE_UNAVAILABLE",
        message: expect.stringContaining("schema version 99"),
      });
    });
  });

  describe("PostgreSQL job queue losing its connections", () => {
    /** A queue whose connections carry a name of their own, so a test can end exactly them. */
    const namedQueue = async () => {
      const location = new URL(await newQueue());
      const name = `hilt-test-${randomBytes(4).toString("hex")}`;
      location.searchParams.set("application_name", name);
      return { location: location.toString(), name, schema: location.searchParams.get("schema") };
    };
    /** A second connection: it locks the jobs table and ends the queue's backends. */
    async function admin(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        client,
        terminate: async () =>
          (
            await client.query(
              `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
               WHERE application_name = $1`,
              [name],
            )
          ).rows[0].n as number,
        waiting: async () =>
          (
            await client.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE application_name = $1 AND wait_event_type = 'Lock'`,
              [name],
            )
          ).rows[0].n as number,
      };
    }
    async function until(check: () => Promise<boolean>) {
      for (let i = 0; i < 200; i++) {
        if (await check()) return;
        await sleep(50);
      }
      throw new Error("timed out");
    }

    it("fails the call in flight as QUEUE_UNAVAILABLE, then works again on new connections", async () => {
      const { location, name, schema } = await namedQueue();
      const store = await openJobStore(location);
      const db = await admin(name);
      try {
        const { job } = await store.submit(
          { kind: "plan", workspace: ".", options: {} },
          { owner: "t" },
        );
        await db.client.query("BEGIN");
        await db.client.query(`LOCK TABLE ${schema}.jobs IN ACCESS EXCLUSIVE MODE`);
        const blocked = store.get(job.id).then(
          () => undefined,
          (error: unknown) => error,
        );
        await until(async () => (await db.waiting()) > 0);
        expect(await db.terminate()).toBeGreaterThan(0);
        expect(await blocked).toMatchObject({ code: "QUEUE_UNAVAILABLE" });
        await db.client.query("ROLLBACK");
        // Idle connections ended too: a call may still meet one (the pool learns of it then).
        await db.terminate();
        let seen: Awaited<ReturnType<JobStore["get"]>>;
        for (let attempt = 0; attempt < 3 && !seen; attempt++)
          seen = await store.get(job.id).catch((error) => {
            expect(error).toMatchObject({ code: "QUEUE_UNAVAILABLE" });
            return undefined;
          });
        expect(seen?.id).toBe(job.id);
        expect(await store.appendEvent(job.id, { event: "log", message: "after" })).toBe(1);
      } finally {
        await db.client.query("ROLLBACK").catch(() => {});
        await db.client.end();
        await store.close();
      }
    });

    it("hilt serve answers 503 QUEUE_UNAVAILABLE while it lasts, then serves and runs jobs", async () => {
      const { location, name, schema } = await namedQueue();
      const root = tempRepo({ "svc/package.json": '{"name":"svc","version":"1.0.0"}' });
      const server = await startServe(["--workspace", root, "--queue", location]);
      const db = await admin(name);
      const job = async () =>
        (await fetch(`${server.url}/jobs`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ kind: "detect", workspace: "svc" }),
        }).then((r) => r.json())) as { id: string; status: string };
      try {
        const first = await job();
        await db.client.query("BEGIN");
        await db.client.query(`LOCK TABLE ${schema}.jobs IN ACCESS EXCLUSIVE MODE`);
        const blocked = fetch(`${server.url}/jobs/${first.id}`);
        await until(async () => (await db.waiting()) > 0);
        await db.terminate();
        const refused = await blocked;
        expect(refused.status).toBe(503);
        const body = (await refused.json()) as { error: { code: string } };
        expect(body.error.code).toBe("QUEUE_UNAVAILABLE");
        await db.client.query("ROLLBACK");
        await db.terminate();
        await until(async () => (await fetch(`${server.url}/ready`)).status === 200);
        // The runner claims and finishes jobs again, the earlier one included.
        const second = await job();
        for (const id of [first.id, second.id])
          await until(async () => {
            const r = await fetch(`${server.url}/jobs/${id}`);
            return r.ok && ((await r.json()) as { status: string }).status === "succeeded";
          });
        expect(server.child.exitCode).toBeNull();
      } finally {
        await db.client.query("ROLLBACK").catch(() => {});
        await db.client.end();
        await server.stop();
      }
    }, 60_000);
  });

  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)",
      [prefix],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA ${name} CASCADE`);
    await client.end();
  });
} else {
  describe("PostgreSQL job queue", () => {
    // test/env/up.sh always starts PostgreSQL: a missing URL is a broken environment, not a skip.
    it("has a PostgreSQL server (HILT_E2E_POSTGRES_URL from test/env/up.sh)", () => {
      expect.fail("HILT_E2E_POSTGRES_URL unset: eval the output of test/env/up.sh");
    });
  });
}
