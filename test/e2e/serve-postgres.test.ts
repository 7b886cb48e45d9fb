import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openJobStore } from "../../src/serve/store/open.js";
import type { JobStore } from "../../src/serve/store/types.js";
import { describeJobStoreContract, describeQueueProcesses } from "../helpers/job-store-contract.js";

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
