// Prints how long `detect` takes on a generated 100,000-file repository: a client/server pair,
// a workspace of 20 packages, deep source trees and a committed node_modules.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { detect } from "../src/detect/detect.js";

const root = mkdtempSync(path.join(tmpdir(), "hilt-bench-detect-"));
let files = 0;
const write = (rel: string, content = "") => {
  const full = path.join(root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  files++;
};

write("package.json", JSON.stringify({ private: true, workspaces: ["packages/*"] }));
write(
  "client/package.json",
  JSON.stringify({ scripts: { build: "vite build" }, devDependencies: { vite: "5" } }),
);
write(
  "server/package.json",
  JSON.stringify({ scripts: { start: "node server.js" }, dependencies: { express: "4" } }),
);
write("server/server.js", "app.listen(process.env.PORT || 4000)");
for (let p = 0; p < 20; p++)
  write(`packages/p${p}/package.json`, JSON.stringify({ name: `p${p}`, main: "index.js" }));
const target = 100_000;
const perDir = 100;
for (let i = 0; files < target; i++) {
  const area = ["client/src", "server/src", "node_modules", `packages/p${i % 20}/src`][i % 4];
  const dir = `${area}/d${Math.floor(i / 4) % 50}/e${i}`;
  for (let f = 0; f < perDir && files < target; f++) write(`${dir}/f${f}.js`, "export {};\n");
}
console.log(`generated ${files.toLocaleString("en")} files in ${root}`);

const times: number[] = [];
let services = 0;
for (let run = 0; run < 5; run++) {
  const start = performance.now();
  services = detect(root).services.length;
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(
  `detect on 100,000 files: median ${times[2]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms (5 runs, ${services} services)`,
);
rmSync(root, { recursive: true, force: true });
