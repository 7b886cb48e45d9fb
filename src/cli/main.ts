import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { buildAll } from "../app/build.js";
import { loadProject, type PlanOptions, plan } from "../app/plan.js";
import { detect } from "../detect/detect.js";
import type { BuildEvent } from "../engine/events.js";
import { exitCodeFor } from "../engine/run.js";
import type { EngineChoice } from "../engine/select.js";
import { ExitCode, HiltError } from "../errors.js";
import { toBake } from "../export/bake.js";
import { toMatrix } from "../export/matrix.js";
import { generate, writeGenerated } from "../generate/generate.js";
import { serveStdio } from "../mcp/server.js";
import type { Catalog } from "../model/catalog-schema.js";
import { formatDiagnostic } from "../model/diagnostics.js";
import { PLATFORM_PATTERN } from "../model/fields.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import { githubOutputs, markdownSummary } from "../report/github.js";
import { liveProgress } from "../report/progress.js";
import { failureResult, resultSchema } from "../report/result-schema.js";
import { formatSummary } from "../report/summary.js";
import { resolveImage } from "../runtime/resolve-image.js";
import { dryRunCommands } from "./dry-run.js";
import { formatDetect } from "./format-detect.js";
import { log, printJson, reportFailure } from "./output.js";
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

function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== ""),
  ];
}

function platformList(value: string, previous: string[] = []): string[] {
  const values = list(value);
  for (const p of values) {
    if (!PLATFORM_PATTERN.test(p))
      throw new InvalidArgumentError(`"${p}" is not a platform (write os/arch, e.g. linux/amd64)`);
  }
  return [...previous, ...values];
}

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`"${value}" is not NAME=REF`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

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
    .option("--ttl <duration>", "ttl.sh lifetime, e.g. 30m, 1h, 1d (max 24h)")
    .option("--owner <name>", "GHCR owner (default: GITHUB_REPOSITORY_OWNER)")
    .option("--platform <list>", "platforms, comma-separated or repeated", platformList)
    .option("--base-image <name=ref>", "replace an external base image (repeatable)", keyValue)
    .option("--sha <sha>", "commit to tag as (default: git HEAD or GITHUB_SHA)")
    .option("--branch <name>", "branch to tag as (default: git or GITHUB_REF_NAME)")
    .option("--tag <tag>", "git tag to tag as, e.g. v1.2.3");
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
  };
}

function describePlan(graph: BuildGraph): string {
  const lines = [
    `Plan for ${graph.catalog === "(none)" ? "repository services" : graph.catalog} → ${graph.push}: ${graph.nodes.length} images in ${graph.waves.length} waves`,
  ];
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  graph.waves.forEach((wave, i) => {
    lines.push(`wave ${i}:`);
    for (const name of wave) {
      const node = byName.get(name);
      if (!node) continue;
      const from = node.from.type === "image" ? node.from.name : node.from.ref;
      lines.push(
        `  ${name.padEnd(24)} from ${from}  [${node.platforms.join(", ")}]  ${node.contentTag}`,
      );
      for (const ref of [...node.refs.immutable, ...node.refs.aliases]) lines.push(`      ${ref}`);
    }
  });
  lines.push(`critical path: ${graph.criticalPath.nodes.join(" → ")}`);
  return lines.join("\n");
}

interface BuildFlags extends PlanFlags {
  engine?: EngineChoice;
  concurrency?: number;
  events?: boolean;
  dryRun?: boolean;
  timeout?: number;
  atomic?: boolean;
  cache?: boolean;
  npmRegistry?: string;
  caCert?: string;
}

function positiveInt(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("is not a positive whole number");
  return Number(value);
}

function buildFlags(command: Command): Command {
  return planFlags(command)
    .addOption(
      new Option("--engine <engine>", "build engine")
        .choices(["dagger", "docker", "auto"])
        .default("auto"),
    )
    .option("--concurrency <n>", "images built at once (default: min(4, cores))", positiveInt)
    .option("--events", "write NDJSON progress events to stderr")
    .option("--dry-run", "print the plan and the commands it would run, build nothing")
    .option("--timeout <seconds>", "stop the whole run after this long", positiveInt)
    .option("--no-atomic", "move aliases per image instead of after the whole run succeeded")
    .option("--no-cache", "rebuild everything: no content-tag lookup, no layer cache")
    .option("--npm-registry <url>", "npm registry for builds (default: the host's npm config)")
    .option("--ca-cert <file>", "CA bundle builds trust (default: the host's npm cafile)");
}

async function runBuildCommand(
  targets: string[],
  flags: BuildFlags,
  setExitCode: (code: number) => void,
): Promise<void> {
  const output = { json: flags.json, asResult: true };
  const controller = new AbortController();
  const interrupts = handleInterrupts(controller, log);
  const timer = flags.timeout
    ? setTimeout(() => controller.abort(), flags.timeout * 1000)
    : undefined;
  const live =
    !flags.events && !flags.dryRun && process.stderr.isTTY
      ? liveProgress(process.stderr)
      : undefined;
  try {
    const options = {
      ...planOptions(targets, flags),
      engine: flags.engine ?? "auto",
      concurrency: flags.concurrency,
      noAtomic: flags.atomic === false,
      noCache: flags.cache === false,
      npmRegistry: flags.npmRegistry,
      caCert: flags.caCert,
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
      const { graph, cleanup } = await plan(options);
      await cleanup();
      const commands = dryRunCommands(graph);
      if (flags.json) printJson({ dryRun: true, plan: graph, commands });
      else
        process.stdout.write(
          `${describePlan(graph)}\n\n${commands.map((c) => c.join(" ")).join("\n")}\n`,
        );
      return;
    }
    const result = await buildAll(options);
    live?.stop();
    if (flags.json) printJson(result);
    else process.stdout.write(formatSummary(result));
    setExitCode(exitCodeFor(result));
  } catch (error) {
    setExitCode(reportFailure(error, output));
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

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command("hilt")
    .description(
      "Declarative container build pipelines: detect services, plan and build layered image catalogs.",
    )
    .version(hiltVersion(), "-V, --version", "print Hilt's version")
    .showHelpAfterError()
    .addHelpText("after", EXIT_CODES)
    .exitOverride();

  projectFlags(program.command("validate"))
    .description("check the catalog and pipeline; list every problem with file:line:col")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt validate\n  hilt validate --catalog images/catalog.yaml --json",
    )
    .action(async (flags: CommonFlags) => {
      try {
        const project = await loadProject(flags);
        for (const w of project.warnings) log(formatDiagnostic(w));
        if (flags.json) printJson({ ok: true, errors: [], warnings: project.warnings });
        else
          log(
            `${project.catalog.file}: ${Object.keys(project.catalog.catalog.images).length} images, valid`,
          );
      } catch (error) {
        setExitCode(reportFailure(error, flags));
      }
    });

  planFlags(program.command("plan"))
    .description("print the build graph: waves, input hashes, refs to push")
    .argument("[targets...]", "catalog images or groups (default: the pipeline's, else all)")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt plan\n  hilt plan task --push ghcr --owner acme --json | jq '.nodes[].refs'",
    )
    .action(async (targets: string[], flags: PlanFlags) => {
      try {
        const { graph, project, warnings, cleanup } = await plan(planOptions(targets, flags));
        await cleanup();
        for (const w of project.warnings) log(formatDiagnostic(w));
        for (const w of warnings) log(`warning: ${w}`);
        if (flags.json) printJson(graph);
        else process.stdout.write(`${describePlan(graph)}\n`);
      } catch (error) {
        setExitCode(reportFailure(error, flags));
      }
    });

  projectFlags(program.command("resolve-image"))
    .description(
      "which image a session or a task runs in (TTYD_IMAGE, TASK_IMAGE_<PROVIDER>, TASK_IMAGE_DEFAULT)",
    )
    .addOption(
      new Option("--mode <mode>", "session or task")
        .choices(["session", "task"])
        .makeOptionMandatory(),
    )
    .option("--provider <name>", "task provider, e.g. claude, codex")
    .option("--needs <caps>", "capabilities the image must provide, comma-separated", list)
    .option(
      "--registry <prefix>",
      "registry prefix for catalog images (default: catalog runtime.registry)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  hilt resolve-image --mode task --provider codex\n  hilt resolve-image --mode task --needs node,python --json",
    )
    .action(
      async (
        flags: CommonFlags & {
          mode: "session" | "task";
          provider?: string;
          needs?: string[];
          registry?: string;
        },
      ) => {
        try {
          let catalog: Catalog | undefined;
          try {
            catalog = (await loadProject(flags)).catalog.catalog;
          } catch (error) {
            // The environment alone can answer; a missing catalog matters only when it is needed.
            if (flags.catalog || (error as HiltError).code !== "FILE_NOT_FOUND") throw error;
          }
          const resolution = resolveImage({ ...flags, env: process.env, catalog });
          if (flags.json) printJson(resolution);
          else process.stdout.write(`${resolution.image}\n`);
        } catch (error) {
          setExitCode(reportFailure(error, flags));
        }
      },
    );

  buildFlags(program.command("build-all"))
    .description("build and push every image of the pipeline (default: pipelines/default.yaml)")
    .addHelpText(
      "after",
      "\nExamples:\n  hilt build-all --json\n  hilt build-all --push ghcr --platform linux/amd64,linux/arm64\n  hilt build-all --push 127.0.0.1:5000/team --base-image debian=127.0.0.1:5000/library/debian --events",
    )
    .action((flags: BuildFlags) => runBuildCommand([], flags, setExitCode));

  buildFlags(program.command("build"))
    .description(
      "build catalog images or groups (with their parents), or the services of repository folders",
    )
    .argument("<targets...>", "catalog images or groups, or paths of repository folders")
    .addHelpText("after", "\nExamples:\n  hilt build agent-codex-task --push ttl.sh --json")
    .action((targets: string[], flags: BuildFlags) => runBuildCommand(targets, flags, setExitCode));

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
    .action((dir: string, flags: { json?: boolean }) => {
      try {
        const result = detect(dir);
        for (const w of result.warnings) log(`warning: ${w}`);
        if (flags.json) printJson(result);
        else process.stdout.write(formatDetect(result));
      } catch (error) {
        setExitCode(reportFailure(error, flags));
      }
    });

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
      async (
        dir: string,
        flags: { roles?: boolean; force?: boolean; stdout?: boolean; json?: boolean },
      ) => {
        try {
          const { files, skipped } = generate(dir, { roles: flags.roles });
          for (const line of skipped) log(line);
          if (flags.stdout || flags.json) {
            if (flags.json) printJson({ files, skipped });
            else for (const f of files) process.stdout.write(`=== ${f.path}\n${f.content}\n`);
            return;
          }
          const written = await writeGenerated(dir, files, flags.force ?? false);
          for (const file of written) log(`wrote ${file}`);
          if (written.length === 0) log("nothing to generate");
        } catch (error) {
          setExitCode(reportFailure(error, flags));
        }
      },
    );

  program
    .command("summarize")
    .description("turn a result JSON file into a job summary table and GitHub Actions outputs")
    .argument("<file>", "a result JSON written by --json")
    .option("--markdown", "print a Markdown table (for GITHUB_STEP_SUMMARY)")
    .option("--outputs <file>", "append result, refs and ok to this file (GITHUB_OUTPUT)")
    .action((file: string, flags: { markdown?: boolean; outputs?: string }) => {
      try {
        const text = readFileSync(file, "utf8");
        const parsed = resultSchema.safeParse(JSON.parse(text));
        const result = parsed.success
          ? parsed.data
          : failureResult({
              code: "NOT_A_RESULT",
              message: `${file} is not a Hilt result document`,
            });
        if (flags.outputs) appendFileSync(flags.outputs, githubOutputs(result, text));
        process.stdout.write(flags.markdown ? markdownSummary(result) : formatSummary(result));
      } catch (error) {
        setExitCode(
          reportFailure(
            new HiltError("UNREADABLE_RESULT", `cannot read ${file}: ${(error as Error).message}`, {
              exitCode: ExitCode.usage,
            }),
            {},
          ),
        );
      }
    });

  program
    .command("mcp")
    .description(
      "serve Hilt's tools (detect, plan, build, build_all, resolve_image, generate) over MCP on stdio",
    )
    .addHelpText(
      "after",
      '\nExamples:\n  claude mcp add hilt -- npx hilt mcp\n  {"mcpServers": {"hilt": {"command": "npx", "args": ["hilt", "mcp"]}}}',
    )
    .action(async () => {
      setExitCode(await serveStdio(hiltVersion()));
    });

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
    .action(async (targets: string[], flags: PlanFlags & { output?: string }) => {
      try {
        const { graph, project, cleanup } = await plan(planOptions(targets, flags));
        await cleanup();
        const text = `${JSON.stringify(toBake(graph, { root: project.root }), null, 2)}\n`;
        if (flags.output) writeFileSync(flags.output, text);
        else process.stdout.write(text);
      } catch (error) {
        setExitCode(reportFailure(error, flags));
      }
    });
  planFlags(exportCommand.command("matrix"))
    .description("a GitHub Actions matrix per wave")
    .argument("[targets...]", "catalog images or groups")
    .option("--wave <n>", "print only this wave's matrix ({include: [...]})", (v) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError("is not a wave number");
      return Number(v);
    })
    .addHelpText(
      "after",
      '\nExamples:\n  echo "matrix=$(hilt export matrix --wave 0)" >> "$GITHUB_OUTPUT"',
    )
    .action(async (targets: string[], flags: PlanFlags & { wave?: number }) => {
      try {
        const { graph, cleanup } = await plan(planOptions(targets, flags));
        await cleanup();
        const matrix = toMatrix(graph);
        if (flags.wave === undefined) return printJson(matrix);
        const wave = matrix.waves[flags.wave];
        if (!wave)
          throw new HiltError("UNKNOWN_WAVE", `the plan has no wave ${flags.wave}`, {
            exitCode: ExitCode.usage,
            hint: `waves: 0..${matrix.waves.length - 1}`,
          });
        process.stdout.write(`${JSON.stringify(wave.matrix)}\n`);
      } catch (error) {
        setExitCode(reportFailure(error, flags));
      }
    });
  return program;
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
    const code = (error as { code?: string; exitCode?: number }).code;
    if (
      code === "commander.helpDisplayed" ||
      code === "commander.version" ||
      code === "commander.help"
    )
      return ExitCode.ok;
    if (typeof code === "string" && code.startsWith("commander.")) return ExitCode.usage;
    return reportFailure(error, { json: argv.includes("--json") });
  }
  return exitCode;
}
