import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
// Each command loads the modules it runs when it runs (`await import`): a start pays only for
// what its command uses, and `hilt --version` for almost nothing.
import type { PlanOptions } from "../app/plan.js";
import type { BuildEvent } from "../engine/events.js";
import type { EngineChoice } from "../engine/select.js";
import { ExitCode, HiltError, toHiltError } from "../errors.js";
import { readRegularFile, realRoot } from "../fs/untrusted.js";
import { formatDiagnostic } from "../model/diagnostics.js";
import type { BuildGraph } from "../plan/plan-schema.js";
// hilt serve's flag parsers only (no Hono): the server itself is imported by the command.
import {
  archiveEntries,
  gitHost,
  gitTimeout,
  retainDays,
  retainJobs,
  bodyBytes as serveBody,
  jobConcurrency as serveConcurrency,
  corsOrigin as serveOrigin,
  port as servePort,
  requestsPerSecond as serveRate,
  workerId as serveWorker,
  sourceBytes,
} from "../serve/flags.js";
import {
  baseImage,
  builderName,
  caCertFile,
  commitSha,
  concurrency,
  httpUrl,
  ignoredFlagWarnings,
  list,
  platformList,
  providerName,
  pushKind,
  registryPrefix,
  timeoutSeconds,
  ttlDuration,
  waveNumber,
} from "./flags.js";
import { log, printJson, redactCredentials, reportFailure, usageError } from "./output.js";
import { handleInterrupts } from "./signals.js";

const EXIT_CODES = `
Exit codes:
  0    success
  1    a build failed (the JSON says which)
  2    bad command-line usage
  3    invalid catalog or pipeline (every problem is listed)
  4    build engine unavailable
  5    registry unreachable or refused
  70   internal error (a bug in Hilt)
  130  interrupted`;

interface CommonFlags {
  catalog?: string;
  pipeline?: string;
  json?: boolean;
}

interface PlanFlags extends CommonFlags {
  push?: string;
  ttl?: string;
  owner?: string;
  platform?: string[];
  baseImage?: Record<string, string>;
  sha?: string;
  branch?: string;
  tag?: string;
  offline?: boolean;
}

function projectFlags(command: Command): Command {
  return command
    .option("-c, --catalog <file>", "catalog file (default: the pipeline's, else catalog.yaml)")
    .option(
      "-p, --pipeline <name>",
      "pipeline name in pipelines/ or a path (default: pipelines/default.yaml)",
    )
    .option("--json", "print only JSON on stdout");
}

function planFlags(command: Command): Command {
  return projectFlags(command)
    .option("--push <target>", "none | ttl.sh | ghcr | ghcr.io/OWNER | host[:port]/namespace")
    .option("--ttl <duration>", "ttl.sh lifetime, e.g. 30m, 1h, 1d (max 24h)", ttlDuration)
    .option("--owner <name>", "GHCR owner (default: GITHUB_REPOSITORY_OWNER)")
    .option("--platform <list>", "platforms, comma-separated or repeated", platformList)
    .option("--base-image <name=ref>", "replace an external base image (repeatable)", baseImage)
    .option("--sha <sha>", "commit to tag as (default: git HEAD or GITHUB_SHA)", commitSha)
    .option("--branch <name>", "branch to tag as (default: git or GITHUB_REF_NAME)")
    .option("--tag <tag>", "git tag to tag as, e.g. v1.2.3")
    .option("--offline", "do not look up base image digests (bases stay unpinned)");
}

function planOptions(targets: string[], flags: PlanFlags): PlanOptions {
  const git = Object.fromEntries(
    Object.entries({ sha: flags.sha, branch: flags.branch, tag: flags.tag }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return {
    catalog: flags.catalog,
    pipeline: flags.pipeline,
    targets,
    push: flags.push,
    ttl: flags.ttl,
    owner: flags.owner,
    platforms: flags.platform,
    baseImages: flags.baseImage,
    git,
    ...(flags.offline ? { offline: true } : {}),
  };
}

async function describePlan(graph: BuildGraph): Promise<string> {
  const { describePlan: describePlanText } = await import("../report/plan-text.js");
  return describePlanText(graph);
}

interface BuildFlags extends PlanFlags {
  engine?: EngineChoice;
  concurrency?: number;
  events?: boolean;
  dryRun?: boolean;
  timeout?: number;
  atomic?: boolean;
  cache?: boolean;
  builder?: string;
  npmRegistry?: string;
  caCert?: string;
  buildSecrets?: boolean;
}

function buildFlags(command: Command): Command {
  return planFlags(command)
    .addOption(
      new Option("--engine <engine>", "build engine")
        .choices(["dagger", "docker", "auto"])
        .default("auto"),
    )
    .option("--concurrency <n>", "images built at once (default: min(4, cores))", concurrency)
    .option("--events", "write NDJSON progress events to stderr")
    .option("--dry-run", "print the plan and the commands it would run, build nothing")
    .option("--timeout <seconds>", "stop the whole run after this long", timeoutSeconds)
    .option("--no-atomic", "move aliases per image instead of after the whole run succeeded")
    .option("--no-cache", "rebuild everything: no content-tag lookup, no layer cache")
    .option(
      "--builder <name>",
      "docker engine: the buildx builder (default: HILT_BUILDER, the pipeline's, else Hilt chooses)",
      builderName,
    )
    .option(
      "--npm-registry <url>",
      "npm registry for builds (default: the host's npm config)",
      httpUrl,
    )
    .option(
      "--ca-cert <file>",
      "CA bundle builds trust (default: the host's npm cafile)",
      caCertFile,
    )
    .option(
      "--build-secrets",
      "give builds of repository services the npm token too (default: registry URL and CA only)",
    );
}

/** Flags the push target ignores; named before the run when --push says the target. */
function warnIgnoredFlags(flags: PlanFlags, push: string): string[] {
  const warnings = ignoredFlagWarnings(flags, pushKind(push));
  for (const warning of warnings) log(`warning: ${warning}`);
  return warnings;
}

async function runBuildCommand(targets: string[], flags: BuildFlags): Promise<number> {
  if (flags.push !== undefined) warnIgnoredFlags(flags, flags.push);
  const controller = new AbortController();
  const interrupts = handleInterrupts(controller, log);
  const timer = flags.timeout
    ? setTimeout(() => controller.abort(), flags.timeout * 1000)
    : undefined;
  const live =
    !flags.events && !flags.dryRun && process.stderr.isTTY
      ? (await import("../report/progress.js")).liveProgress(process.stderr)
      : undefined;
  try {
    const options = {
      ...planOptions(targets, flags),
      engine: flags.engine ?? "auto",
      concurrency: flags.concurrency,
      noAtomic: flags.atomic === false,
      noCache: flags.cache === false,
      ...(flags.builder ? { builder: flags.builder } : {}),
      notice: log,
      npmRegistry: flags.npmRegistry,
      caCert: flags.caCert,
      buildSecrets: flags.buildSecrets,
      signal: controller.signal,
      log: (line: string) => {
        if (process.env.HILT_DEBUG) log(line);
      },
      ...(flags.events
        ? { onEvent: (event: BuildEvent) => process.stderr.write(`${JSON.stringify(event)}\n`) }
        : live
          ? { onEvent: live.onEvent }
          : {}),
    };
    if (flags.dryRun) {
      const [{ plan }, { dryRunCommands, dryRunSetup }] = await Promise.all([
        import("../app/plan.js"),
        import("./dry-run.js"),
      ]);
      const { graph, pipeline, cleanup } = await plan(options);
      await cleanup();
      if (flags.push === undefined) warnIgnoredFlags(flags, graph.push);
      // The docker backend's builder and layer cache, found as a run finds them (buildx ls).
      const env = process.env;
      const requested = flags.builder
        ? { name: flags.builder, source: "--builder" as const }
        : env.HILT_BUILDER
          ? { name: env.HILT_BUILDER, source: "HILT_BUILDER" as const }
          : pipeline.builder
            ? { name: pipeline.builder, source: "pipeline" as const }
            : undefined;
      const setup =
        flags.engine === "dagger"
          ? undefined
          : await dryRunSetup(graph, {
              env,
              ...(requested ? { requested } : {}),
              ...(pipeline.cache ? { cache: pipeline.cache } : {}),
            });
      const commands = dryRunCommands(graph, {
        noCache: flags.cache === false,
        ...(setup ? { setup } : {}),
      });
      if (flags.json)
        printJson({ dryRun: true, plan: graph, ...(setup ? { setup } : {}), commands });
      else {
        const lines = setup
          ? [
              `builder: ${setup.builder ? `${setup.builder.name} (${setup.builder.driver} driver; ${setup.builder.reason})` : "the current one"}`,
              `cache: ${setup.cache}`,
              ...setup.notes.map((n) => `note: ${n}`),
              "",
            ]
          : [];
        process.stdout.write(
          `${await describePlan(graph)}\n\n${[...lines, ...commands.map((c) => c.join(" "))].join("\n")}\n`,
        );
      }
      return ExitCode.ok;
    }
    const [{ buildAll }, { exitCodeFor }, { formatSummary }] = await Promise.all([
      import("../app/build.js"),
      import("../engine/run.js"),
      import("../report/summary.js"),
    ]);
    const result = await buildAll(options);
    live?.stop();
    if (flags.push === undefined) warnIgnoredFlags(flags, result.push);
    if (flags.json) printJson(result);
    else process.stdout.write(formatSummary(result));
    return exitCodeFor(result);
  } finally {
    if (timer) clearTimeout(timer);
    live?.stop();
    interrupts.dispose();
  }
}

function hiltVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Where `hilt export bake -o` and `summarize --outputs` write: failures are user errors. */
function writeOutput(
  file: string,
  text: string,
  write: (file: string, text: string) => void = writeFileSync,
): void {
  try {
    write(file, text);
  } catch (error) {
    const reason = toHiltError(error).message.replace(`${file}: `, "");
    throw new HiltError("WRITE_FAILED", `cannot write ${file}: ${reason}`, {
      cause: error,
      hint: "name a file in a folder you can write to",
    });
  }
}

/** A result document from disk: a regular file, of a sane size, that parses as JSON. */
function readResultText(file: string): string {
  try {
    return readRegularFile(file, { maxBytes: 64 * 1024 * 1024 }).toString("utf8");
  } catch (error) {
    const reason = toHiltError(error).message.replace(`${file}: `, "");
    throw new HiltError("UNREADABLE_RESULT", `cannot read ${file}: ${reason}`, {
      cause: error,
      hint: "pass the file written by `hilt build-all --json > result.json`",
    });
  }
}

type Handler<A extends unknown[]> = (
  ...args: A
) => Promise<number | undefined> | number | undefined;

export function buildProgram(setExitCode: (code: number) => void): Command {
  /**
   * The one place a command's failure is reported: under --json as one JSON document on stdout
   * (a result document for the build commands), otherwise on stderr; its exit code is returned.
   */
  const act =
    <A extends unknown[]>(handler: Handler<A>, output: { asResult?: boolean } = {}) =>
    async (...args: A): Promise<void> => {
      const command = args.at(-1) as Command;
      const json = Boolean(command.opts().json);
      try {
        setExitCode((await handler(...args)) ?? ExitCode.ok);
      } catch (error) {
        setExitCode(reportFailure(error, { json, ...output }));
      }
    };

  const program = new Command("hilt")
    .description(
      "Declarative container build pipelines: detect services, plan and build layered image catalogs.",
    )
    .version(hiltVersion(), "-V, --version", "print Hilt's version")
    .configureOutput({ outputError: (text, write) => write(redactCredentials(text)) })
    .showHelpAfterError()
    .addHelpText("after", EXIT_CODES)
    .exitOverride();

  projectFlags(program.command("validate"))
    .description("check the catalog and pipeline; list every problem with file:line:col")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt validate\n  hilt validate --catalog images/catalog.yaml --json",
    )
    .action(
      act(async (flags: CommonFlags) => {
        const { loadProject } = await import("../app/plan.js");
        const project = await loadProject(flags);
        for (const w of project.warnings) log(formatDiagnostic(w));
        if (flags.json) printJson({ ok: true, errors: [], warnings: project.warnings });
        else
          log(
            `${project.catalog.file}: ${Object.keys(project.catalog.catalog.images).length} images, valid`,
          );
        return ExitCode.ok;
      }),
    );

  planFlags(program.command("plan"))
    .description("print the build graph: waves, input hashes, refs to push")
    .argument("[targets...]", "catalog images or groups (default: the pipeline's, else all)")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt plan\n  hilt plan task --push ghcr --owner acme --json | jq '.nodes[].refs'",
    )
    .action(
      act(async (targets: string[], flags: PlanFlags) => {
        const { plan } = await import("../app/plan.js");
        const { graph, project, warnings, cleanup } = await plan(planOptions(targets, flags));
        await cleanup();
        for (const w of project.warnings) log(formatDiagnostic(w));
        for (const w of warnings) log(`warning: ${w}`);
        const ignored = warnIgnoredFlags(flags, flags.push ?? graph.push);
        // The plan document's warnings name them too, for programs that read only stdout.
        if (flags.json)
          printJson(
            ignored.length > 0
              ? { ...graph, warnings: [...(graph.warnings ?? []), ...ignored] }
              : graph,
          );
        else process.stdout.write(`${await describePlan(graph)}\n`);
        return ExitCode.ok;
      }),
    );

  projectFlags(program.command("resolve-image"))
    .description(
      "which image a session or a task runs in (TTYD_IMAGE, TASK_IMAGE_<PROVIDER>, TASK_IMAGE_DEFAULT)",
    )
    .addOption(
      new Option("--mode <mode>", "session or task")
        .choices(["session", "task"])
        .makeOptionMandatory(),
    )
    .option("--provider <name>", "task provider, e.g. claude, codex", providerName)
    .option("--needs <caps>", "capabilities the image must provide, comma-separated", list)
    .option(
      "--registry <prefix>",
      "registry prefix for catalog images (default: catalog runtime.registry)",
      registryPrefix,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  hilt resolve-image --mode task --provider codex\n  hilt resolve-image --mode task --needs node,python --json",
    )
    .action(
      act(
        async (
          flags: CommonFlags & {
            mode: "session" | "task";
            provider?: string;
            needs?: string[];
            registry?: string;
          },
        ) => {
          const [{ loadProject }, { resolveRuntimeImage }] = await Promise.all([
            import("../app/plan.js"),
            import("../runtime/resolve-image.js"),
          ]);
          const resolution = await resolveRuntimeImage(
            { ...flags, env: process.env },
            {
              load: async () => (await loadProject(flags)).catalog.catalog,
              named: flags.catalog !== undefined || flags.pipeline !== undefined,
            },
          );
          if (flags.json) printJson(resolution);
          else process.stdout.write(`${resolution.image}\n`);
          return ExitCode.ok;
        },
      ),
    );

  buildFlags(program.command("build-all"))
    .description("build and push every image of the pipeline (default: pipelines/default.yaml)")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt build-all --json\n  hilt build-all --push ghcr --platform linux/amd64,linux/arm64\n  hilt build-all --push 127.0.0.1:5000/team --base-image debian=127.0.0.1:5000/library/debian --events",
    )
    .action(act((flags: BuildFlags) => runBuildCommand([], flags), { asResult: true }));

  buildFlags(program.command("build"))
    .description(
      "build catalog images or groups (with their parents), or the services of repository folders",
    )
    .argument("<targets...>", "catalog images or groups, or paths of repository folders")
    .addHelpText("after", "\nExamples:\n  hilt build agent-codex-task --push ttl.sh --json")
    .action(
      act((targets: string[], flags: BuildFlags) => runBuildCommand(targets, flags), {
        asResult: true,
      }),
    );

  program
    .command("detect")
    .description(
      "find the services in a repository: language, package manager, framework, port, and why",
    )
    .argument("[path]", "repository folder", ".")
    .option("--json", "print only JSON on stdout")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt detect ./my-app\n  hilt detect . --json | jq '.services[] | {name, port: .port.value}'",
    )
    .action(
      act(async (dir: string, flags: { json?: boolean }) => {
        const [{ detect }, { formatDetect }] = await Promise.all([
          import("../detect/detect.js"),
          import("./format-detect.js"),
        ]);
        const result = detect(dir);
        for (const w of result.warnings) log(`warning: ${w}`);
        if (flags.json) printJson(result);
        else process.stdout.write(formatDetect(result));
        return ExitCode.ok;
      }),
    );

  program
    .command("generate")
    .description("write a Dockerfile and .dockerignore for each service that has none")
    .argument("[path]", "repository folder", ".")
    .option(
      "--roles",
      "one role-switch Dockerfile (ARG ROLE=client|server) plus scripts/run_*.sh|.bat",
    )
    .option("--force", "overwrite existing files")
    .option("--stdout", "print the files instead of writing them")
    .option("--json", "print only JSON on stdout")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt generate ./my-app --stdout\n  hilt generate . --roles --force",
    )
    .action(
      act(
        async (
          dir: string,
          flags: { roles?: boolean; force?: boolean; stdout?: boolean; json?: boolean },
        ) => {
          const { generate, writeGenerated } = await import("../generate/generate.js");
          const { files, skipped } = generate(dir, { roles: flags.roles });
          for (const line of skipped) log(line);
          if (flags.stdout || flags.json) {
            if (flags.json) printJson({ files, skipped });
            else for (const f of files) process.stdout.write(`=== ${f.path}\n${f.content}\n`);
            return ExitCode.ok;
          }
          const written = await writeGenerated(dir, files, flags.force ?? false);
          for (const file of written) log(`wrote ${file}`);
          if (written.length === 0) log("nothing to generate");
          return ExitCode.ok;
        },
      ),
    );

  program
    .command("summarize")
    .description("turn a result JSON file into a job summary table and GitHub Actions outputs")
    .argument("<file>", "a result JSON written by --json")
    .option("--markdown", "print a Markdown table (for GITHUB_STEP_SUMMARY)")
    .option("--outputs <file>", "append result, refs and ok to this file (GITHUB_OUTPUT)")
    .action(
      act(async (file: string, flags: { markdown?: boolean; outputs?: string }) => {
        const [{ failureResult, resultSchema }, { githubOutputs, markdownSummary }, summary] =
          await Promise.all([
            import("../report/result-schema.js"),
            import("../report/github.js"),
            import("../report/summary.js"),
          ]);
        const { formatSummary } = summary;
        const text = readResultText(file);
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          data = undefined;
        }
        const parsed = resultSchema.safeParse(data);
        const result = parsed.success
          ? parsed.data
          : failureResult({
              code: "NOT_A_RESULT",
              message: `${file} is not a Hilt result document`,
            });
        if (flags.outputs) writeOutput(flags.outputs, githubOutputs(result, text), appendFileSync);
        process.stdout.write(flags.markdown ? markdownSummary(result) : formatSummary(result));
        return ExitCode.ok;
      }),
    );

  program
    .command("mcp")
    .description(
      "serve Hilt's tools (detect, plan, build, build_all, resolve_image, generate) over MCP on stdio",
    )
    .addHelpText(
      "after",
      '\nExamples:\n  claude mcp add hilt -- npx hilt mcp\n  {"mcpServers": {"hilt": {"command": "npx", "args": ["hilt", "mcp"]}}}',
    )
    .option(
      "--workspace <dir>",
      "the only folder clients may name (paths, roots, catalogs); default: the working directory",
    )
    .action(
      act(async (flags: { workspace?: string }) => {
        // Resolved now: a missing or unreadable workspace is a usage error before serving.
        const workspace = realRoot(flags.workspace ?? ".");
        // Loaded here: the MCP SDK costs every other command's start-up time.
        const { serveStdio } = await import("../mcp/server.js");
        // 0 after the client disconnected, 130 after a signal (calls cancelled, cleaned up).
        return serveStdio(hiltVersion(), workspace);
      }),
    );

  // --- hilt serve (src/serve/): the HTTP service; Hono and the store load only for it ---
  program
    .command("serve")
    .description("serve Hilt over HTTP: job API with a durable queue, live events (SSE), MCP")
    .option("--port <n>", "port to listen on (0: any free port)", servePort, 8080)
    .option("--host <address>", "address to listen on (off loopback, tokens are required)")
    .option("--workspace <dir>", "the only folder jobs may name (default: working directory)")
    .option("--queue <location>", "sqlite:PATH or postgres://… (default: sqlite in ~/.local/state)")
    .option("--concurrency <n>", "jobs run at once (default 2)", serveConcurrency)
    .option("--tokens-file <file>", "bearer tokens, one per line: TOKEN or TOKEN:read")
    .option(
      "--cors-origin <origin>",
      "a browser origin allowed to call the API (repeatable)",
      serveOrigin,
    )
    .addOption(
      new Option("--on-restart <policy>", "jobs left running by a stopped server")
        .choices(["interrupt", "requeue"])
        .default("interrupt"),
    )
    .option("--rate-limit <n>", "requests per second per token (default 50)", serveRate)
    .option("--max-body <bytes>", "largest request body (default 1 MiB)", serveBody)
    .option("--worker-id <id>", "this instance's id in the queue (default: host:port)", serveWorker)
    // retention of finished jobs (src/serve/retention.ts)
    .option(
      "--retain-days <n>",
      "delete finished jobs after N days (default 30, 0: never)",
      retainDays,
    )
    .option("--retain-jobs <n>", "keep at most N finished jobs (default 10000, 0: all)", retainJobs)
    // end retention
    // job sources (git URLs, uploaded archives)
    .option("--sources-dir <dir>", "per-job clones and uploads (default: beside the SQLite queue)")
    .option(
      "--git-timeout <seconds>",
      "longest clone of a job's git source (default 300)",
      gitTimeout,
    )
    .option(
      "--git-allow-host <host>",
      "fetch git sources only from these hosts (repeatable; default: any https host)",
      gitHost,
    )
    .option(
      "--git-allow-insecure-host <host>",
      "allow http:// and git:// sources from this host (repeatable)",
      gitHost,
    )
    .option(
      "--source-max-bytes <bytes>",
      "disk cap per clone or upload (default 1 GiB)",
      sourceBytes,
    )
    .option(
      "--archive-max-entries <n>",
      "entries per uploaded archive (default 50000)",
      archiveEntries,
    )
    // end job sources
    .addHelpText(
      "after",
      "\nTokens also come from HILT_SERVE_TOKENS (comma-separated). TLS is a reverse proxy's job.\nExamples:\n  hilt serve --workspace ./repos\n  HILT_SERVE_TOKENS=$TOKEN hilt serve --host 0.0.0.0 --queue postgres://hilt@db/hilt",
    )
    .action(
      act(async (flags: Record<string, unknown>) => {
        const { runServer } = await import("../serve/server.js");
        let stop: () => void = () => {};
        const stopped = new Promise<void>((resolve) => {
          stop = resolve;
        });
        const interrupts = handleInterrupts(new AbortController(), log);
        const onSignal = () => stop();
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, onSignal);
        try {
          return await runServer(flags, { version: hiltVersion(), stopped });
        } finally {
          interrupts.dispose();
        }
      }),
    );
  // --- end hilt serve ---

  const exportCommand = program
    .command("export")
    .description("write the plan in another tool's format");
  planFlags(exportCommand.command("bake"))
    .description("a docker-bake JSON file for the same graph (children linked to parents)")
    .argument("[targets...]", "catalog images or groups")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt export bake -o docker-bake.json && docker buildx bake -f docker-bake.json",
    )
    .action(
      act(async (targets: string[], flags: PlanFlags & { output?: string }) => {
        const [{ plan }, { toBake }] = await Promise.all([
          import("../app/plan.js"),
          import("../export/bake.js"),
        ]);
        const { graph, project, cleanup } = await plan(planOptions(targets, flags));
        await cleanup();
        warnIgnoredFlags(flags, flags.push ?? graph.push);
        const text = `${JSON.stringify(toBake(graph, { root: project.root }), null, 2)}\n`;
        if (flags.output) writeOutput(flags.output, text);
        else process.stdout.write(text);
        return ExitCode.ok;
      }),
    );
  planFlags(exportCommand.command("matrix"))
    .description("a GitHub Actions matrix per wave")
    .argument("[targets...]", "catalog images or groups")
    .option("--wave <n>", "print only this wave's matrix ({include: [...]})", waveNumber)
    .addHelpText(
      "after",
      '\nExamples:\n  echo "matrix=$(hilt export matrix --wave 0)" >> "$GITHUB_OUTPUT"',
    )
    .action(
      act(async (targets: string[], flags: PlanFlags & { wave?: number }) => {
        const [{ plan }, { toMatrix }] = await Promise.all([
          import("../app/plan.js"),
          import("../export/matrix.js"),
        ]);
        const { graph, cleanup } = await plan(planOptions(targets, flags));
        await cleanup();
        warnIgnoredFlags(flags, flags.push ?? graph.push);
        const matrix = toMatrix(graph);
        if (flags.wave === undefined) {
          printJson(matrix);
          return ExitCode.ok;
        }
        const wave = matrix.waves[flags.wave];
        if (!wave)
          throw new HiltError("UNKNOWN_WAVE", `the plan has no wave ${flags.wave}`, {
            hint: `waves: 0..${matrix.waves.length - 1}`,
          });
        process.stdout.write(`${JSON.stringify(wave.matrix)}\n`);
        return ExitCode.ok;
      }),
    );
  return program;
}

/** `--json` among the options (before a `--`): usage errors must then be JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
}

/** The subcommand the arguments name, as far as they name one: `hilt export bake`. */
function commandPath(program: Command, argv: readonly string[]): Command[] {
  const path = [program];
  for (const arg of argv.slice(2)) {
    if (arg.startsWith("-")) continue;
    const current = path.at(-1) as Command;
    const next = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    path.push(next);
  }
  return path;
}

export async function main(argv: string[]): Promise<number> {
  // `hilt plan --json | head` closes stdout early: that is the reader's choice, not a crash.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  let exitCode: number = ExitCode.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const json = wantsJson(argv);
    if (!(error instanceof CommanderError)) return reportFailure(error, { json });
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version")
      return ExitCode.ok;
    // `hilt` alone prints the help on stderr: a usage error, not a success.
    if (error.code === "commander.help") return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    const path = commandPath(program, argv);
    const leaf = path.at(-1)?.name() ?? "";
    return reportFailure(usageError(error, path.map((c) => c.name()).join(" ")), {
      json,
      asResult: leaf === "build" || leaf === "build-all",
    });
  }
  return exitCode;
}
