import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, it } from "vitest";
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
    it.skip("NOT RUN: HILT_E2E_POSTGRES_URL unset (eval the output of test/env/up.sh)", () => {});
  });
}
