// Loaded into `hilt serve` by bench/serve.ts (node --expose-gc --import this): on SIGUSR2 it
// collects garbage, then prints one JSON line on stderr with the server's RSS and heap and its
// event loop's delay since the last line. Inert in the job children that inherit it.
import { monitorEventLoopDelay } from "node:perf_hooks";

if (process.argv.slice(2).includes("serve")) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on("SIGUSR2", () => {
    globalThis.gc?.();
    const memory = process.memoryUsage();
    const line = {
      msg: "probe",
      rssMb: +(memory.rss / 1048576).toFixed(1),
      heapMb: +(memory.heapUsed / 1048576).toFixed(1),
      loopDelayMs: {
        p99: +(delay.percentile(99) / 1e6).toFixed(1),
        max: +(delay.max / 1e6).toFixed(1),
      },
    };
    delay.reset();
    process.stderr.write(`${JSON.stringify(line)}\n`);
  });
}
