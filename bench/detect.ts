import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { detect } from "../src/detect/detect.js";
import { prepareBuildSecrets } from "../src/host/build-secrets.js";
import { resultSchema } from "../src/report/result-schema.js";
import { docker, e2eEnv, hiltRunAsync, REPO_ROOT } from "../test/e2e/env.js";
import {
  askImage,
  baseImageArgs,
  EXAMPLES_DIR,
  expectedDetect,
  imageName,
  loadCorpus,
  runJob,
} from "../test/e2e/examples-corpus.js";

type Fields = Record<string, unknown>;
const factValue = (v: unknown) =>
  v !== null && typeof v === "object" && "value" in v ? (v as { value: unknown }).value : v;

/** Right/total facts of one example: its service set, then each field of each expected service. */
function scoreExample(name: string): { right: number; total: number; misses: string[] } {
  const expected = expectedDetect(name).services as Fields[];
  const actual = detect(path.join(EXAMPLES_DIR, name)).services as unknown as Fields[];
  const misses: string[] = [];
  const paths = (list: Fields[]) => JSON.stringify(list.map((s) => s.path).sort());
  let right = paths(expected) === paths(actual) ? 1 : 0;
  let total = 1;
  if (!right) misses.push(`services ${paths(actual)}, expected ${paths(expected)}`);
  for (const want of expected) {
    const got =
      actual.find((s) => s.path === want.path) ?? actual.find((s) => s.name === want.name);
    for (const [field, fact] of Object.entries(want)) {
      total++;
      const ok = JSON.stringify(factValue(got?.[field])) === JSON.stringify(factValue(fact));
      if (ok) right++;
      else
        misses.push(
          `${want.name}.${field}: ${JSON.stringify(factValue(got?.[field]))}, expected ${JSON.stringify(factValue(fact))}`,
        );
    }
  }
  return { right, total, misses };
}

const corpus = loadCorpus();
let right = 0;
let total = 0;
for (const name of Object.keys(corpus).sort()) {
  const score = scoreExample(name);
  right += score.right;
  total += score.total;
  for (const miss of score.misses) console.log(`  ${name}: ${miss}`);
}
console.log(
  `detection fact accuracy over ${Object.keys(corpus).length} examples: ${right}/${total} = ${((100 * right) / total).toFixed(1)} %`,
);

/** The naive single-stage image of an app, the yardstick for generated images' size. */
const NAIVE: Record<string, { from: string; steps: string[] }> = {
  "stale-yarn-lock": {
    from: "node:20-bookworm",
    steps: ["RUN $NPM npm install", 'CMD ["npm", "start"]'],
  },
  "nestjs-api": {
    from: "node:20-bookworm",
    steps: ["RUN $NPM npm install", "RUN npm run build", 'CMD ["npm", "run", "start:prod"]'],
  },
  "flask-templates": {
    from: "python:3.11-bookworm",
    steps: [
      "RUN $PIP PIP_BREAK_SYSTEM_PACKAGES=1 pip install -r requirements.txt",
      'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]',
    ],
  },
  "django-site": {
    from: "python:3.11-bookworm",
    steps: [
      "RUN $PIP PIP_BREAK_SYSTEM_PACKAGES=1 pip install -r requirements.txt",
      'CMD ["gunicorn", "--bind", "0.0.0.0:8000", "config.wsgi"]',
    ],
  },
};
const MOUNTS = {
  $NPM: "--mount=type=secret,id=npmrc,target=/root/.npmrc --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem",
  $PIP: "--mount=type=secret,id=pipconf,target=/etc/pip.conf --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem",
};

async function buildAndServe(): Promise<void> {
  const env = e2eEnv();
  if (!env) throw new Error("--build needs the e2e environment: source /tmp/e2e-env.sh");
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${env.registry}/library`;
  const buildable = Object.entries(corpus).filter(([, e]) => e.buildable);
  const start = performance.now();
  const run = await hiltRunAsync(
    [
      "build",
      ...buildable.map(([name]) => path.join(EXAMPLES_DIR, name)),
      "--json",
      "--push",
      `${env.registry}/corpus`,
      "--concurrency",
      "2",
      ...baseImageArgs(prefix),
    ],
    REPO_ROOT,
  );
  console.log(`corpus build: ${((performance.now() - start) / 1000).toFixed(0)} s`);
  const result = resultSchema.parse(run.json);
  let served = 0;
  let checks = 0;
  const refs: Record<string, string> = {};
  for (const [example, e] of buildable) {
    const targets = [
      ...Object.keys(e.probes).map((s) => ({ service: s, job: false })),
      ...Object.keys(e.job ?? {}).map((s) => ({ service: s, job: true })),
    ];
    for (const { service, job } of targets) {
      checks++;
      const name = imageName(example, service);
      const image = result.images.find((i) => i.name === name);
      let outcome = "not built";
      if (image && (image.status === "built" || image.status === "cached")) {
        const ref = image.refs[0] ?? "";
        refs[example] = ref;
        const answer = job
          ? runJob(ref, e.job?.[service]?.expect ?? "")
          : await askImage(
              ref,
              result.ports[name] ?? 0,
              e.probes[service] as NonNullable<(typeof e.probes)[string]>,
              e.logLine?.[service],
            );
        outcome = answer.ok ? "ok" : `runs, no answer: ${answer.detail.split("\n")[0]}`;
        if (answer.ok) served++;
      } else if (image?.error) outcome = `failed: ${image.error.message.split("\n")[0]}`;
      console.log(`  ${example}/${service}: ${outcome}`);
    }
  }
  console.log(
    `build-and-serve rate: ${served}/${checks} services of ${buildable.length} buildable examples (of ${Object.keys(corpus).length})`,
  );

  const secrets = await prepareBuildSecrets({});
  try {
    for (const [example, naive] of Object.entries(NAIVE)) {
      const ref = refs[example];
      if (!ref) continue;
      const dir = mkdtempSync(path.join(tmpdir(), "hilt-naive-"));
      const steps = naive.steps.map((s) => s.replace(/\$(NPM|PIP)/, (m) => MOUNTS[m as "$NPM"]));
      writeFileSync(
        path.join(dir, "Dockerfile"),
        [`FROM ${prefix}/${naive.from}`, "WORKDIR /app", "COPY . .", ...steps, ""].join("\n"),
      );
      const tag = `hilt-naive-${example}`;
      const s = secrets.secrets;
      const built = docker([
        "buildx",
        "build",
        "--builder",
        "default",
        "--load",
        "-t",
        tag,
        "-f",
        path.join(dir, "Dockerfile"),
        ...(
          [
            ["npmrc", s.npmrc],
            ["pipconf", s.pipconf],
            ["ca", s.ca],
          ] as const
        ).flatMap(([id, file]) => (file ? ["--secret", `id=${id},src=${file}`] : [])),
        path.join(EXAMPLES_DIR, example),
      ]);
      rmSync(dir, { recursive: true, force: true });
      if (built.status !== 0) {
        console.log(`  ${example}: naive image failed to build: ${built.stderr.slice(-300)}`);
        continue;
      }
      if (docker(["image", "inspect", ref]).status !== 0) docker(["pull", "-q", ref]);
      const size = (r: string) => Number(docker(["image", "inspect", "-f", "{{.Size}}", r]).stdout);
      const [generated, plain] = [size(ref), size(tag)];
      console.log(
        `  ${example}: generated ${(generated / 1e6).toFixed(0)} MB, naive ${(plain / 1e6).toFixed(0)} MB, ratio ${(generated / plain).toFixed(2)}`,
      );
      docker(["rmi", "-f", tag]);
    }
  } finally {
    await secrets.cleanup();
  }
}

if (process.argv.includes("--build")) await buildAndServe();
if (process.argv.includes("--no-speed")) process.exit(0);

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
