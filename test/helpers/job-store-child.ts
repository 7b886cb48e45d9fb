/**
 * A second process on a job queue, for tests: `drain WORKER` prints "ready", waits for a line on
 * stdin (so that several start claiming together), claims jobs until none is left and prints
 * each id; `crash WORKER` submits two jobs, claims the first, adds two events to it,
 * prints both ids, then waits to be killed.
 */
import { openJobStore } from "../../src/serve/store/open.js";

const [location, command, worker] = process.argv.slice(2) as [string, string, string];
const store = await openJobStore(location);
if (command === "drain") {
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  for (let job = await store.claim(worker); job; job = await store.claim(worker)) {
    process.stdout.write(`${job.id}\n`);
  }
  await store.close();
} else if (command === "crash") {
  const request = { kind: "build", workspace: "svc", options: {} } as const;
  const { job } = await store.submit(request, { owner: "t", idempotencyKey: "crash" });
  const second = await store.submit(request, { owner: "t" });
  if ((await store.claim(worker))?.id !== job.id) throw new Error("claimed another job");
  await store.appendEvent(job.id, { event: "run-started", images: 1 });
  await store.appendEvent(job.id, { event: "started", image: "svc" });
  process.stdout.write(`${job.id}\n${second.job.id}\n`);
  setInterval(() => {}, 60_000);
} else {
  throw new Error(`unknown command ${command}`);
}
