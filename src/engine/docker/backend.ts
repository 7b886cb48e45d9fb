import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExitCode, HiltError } from "../../errors.js";
import { type ExecRequest, type ExecResult, exec } from "../../host/exec.js";
import { forgetAtExit, removeAtExit } from "../../host/remove-at-exit.js";
import type { PlanNode } from "../../plan/plan-schema.js";
import type { Credentials } from "../../registry/credentials.js";
import { classifyPushFailure, pushFailureCode } from "../../registry/push-failure.js";
import { renderStepsDockerfile } from "../../render/dockerfile.js";
import type {
  Backend,
  BuildOutput,
  BuildRequest,
  SessionBuildRequest,
  SessionOutput,
} from "../backend.js";
import { nativePlatform } from "../platform.js";
import { nodeBuildxArgv, parseBuildMetadata } from "./argv.js";
import { type BuilderChoice, type BuilderSource, discoverBuilder } from "./builder.js";
import {
  type CacheDecision,
  type CacheMode,
  cacheArgv,
  needsExportingBuilder,
  resolveCache,
} from "./cache.js";
import { privateDockerConfig, userDockerConfigDir } from "./config.js";
import { cacheUse, describeCacheUse } from "./progress.js";
import {
  parseSessionMetadata,
  pushedManifests,
  type SessionImage,
  SessionProgress,
  sessionBakeFile,
  sessionTargetNames,
  targetLog,
} from "./session.js";

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

/**
 * The failing step's own output (BuildKit's plain progress prefixes each step's lines with
 * `#N`), ending with the error: what a user needs, where the log's last lines are mostly the
 * Dockerfile excerpt BuildKit prints after it. The log's end when no step is named.
 */
export function failingStepLog(stderr: string, count = 30): string {
  const lines = stderr.trim().split("\n");
  const failed = [...lines].reverse().find((l) => /^#\d+ ERROR:/.test(l));
  const step = failed?.match(/^(#\d+) /)?.[1];
  if (!step) return lastLines(stderr, count);
  const own = lines.filter((l) => l.startsWith(`${step} `));
  const summary = lines.find((l) => l.startsWith("ERROR: "));
  return [...own.slice(-count), ...(summary ? [summary] : [])].join("\n");
}

/** What the docker backend is told about the run: where it pushes, which builder and cache. */
export interface DockerBuildSettings {
  /** Results go to a registry (not the local image store). */
  push?: boolean;
  /** ...and that registry can hold a layer cache beside the images (not ttl.sh). */
  pushesToRegistry?: boolean;
  /** An explicit builder: --builder, HILT_BUILDER or the pipeline's `builder:`. */
  builder?: { name: string; source: BuilderSource };
  /** The pipeline's `cache:`; unset: registry where the builder can export it, else inline. */
  cache?: CacheMode;
}

/** Docker with BuildKit through `docker buildx`, on the builder preflight chooses. */
export class DockerBackend implements Backend {
  readonly name = "docker" as const;
  /** The promise, not the path: concurrent first builds must share one folder, not race. */
  private workDir: Promise<string> | undefined;
  private configDir: string | undefined;
  private chosen: BuilderChoice | undefined;
  private cacheDecision: CacheDecision = { mode: "none" };
  private sizes = new Map<string, Promise<number | undefined>>();
  private sizeBatch: Map<string, (size: number | undefined) => void> | undefined;

  constructor(
    private readonly options: {
      /** Registry host → credentials, written to a private DOCKER_CONFIG for this run only. */
      credentials?: ReadonlyMap<string, Credentials>;
      run?: (request: ExecRequest) => Promise<ExecResult>;
      /** Where the user's docker configuration is found (DOCKER_CONFIG, HOME). */
      env?: Record<string, string | undefined>;
      settings?: DockerBuildSettings;
      /** Lines the user should see (the builder and cache chosen), not only in debug mode. */
      notice?: (line: string) => void;
    } = {},
  ) {}

  get builder(): string | undefined {
    return this.chosen?.name;
  }

  /** Settles the run's builder and cache settings after construction (app/build.ts). */
  configure(options: { settings: DockerBuildSettings; notice?: (line: string) => void }): void {
    this.options.settings = options.settings;
    if (options.notice) this.options.notice = options.notice;
  }

  private run(args: string[], extra: Partial<ExecRequest> = {}): Promise<ExecResult> {
    const env = this.configDir ? { DOCKER_CONFIG: this.configDir } : undefined;
    return (this.options.run ?? exec)({
      command: "docker",
      args,
      ...(env ? { env } : {}),
      ...extra,
    });
  }

  private dir(): Promise<string> {
    this.workDir ??= mkdtemp(path.join(tmpdir(), "hilt-docker-")).then((dir) => {
      removeAtExit(dir);
      return dir;
    });
    return this.workDir;
  }

  async preflight(nodes: readonly PlanNode[]): Promise<void> {
    // The private config first: every check below runs as the builds will.
    if (this.options.credentials && this.options.credentials.size > 0) {
      this.configDir = await privateDockerConfig(
        path.join(await this.dir(), "docker-config"),
        userDockerConfigDir(this.options.env ?? process.env),
        this.options.credentials,
      );
    }
    // Both at once: each is a process start, and a no-change rerun is mostly such starts.
    const [version, buildx] = await Promise.all([
      this.run(["version", "--format", "{{.Server.Version}}"]),
      this.run(["buildx", "version"]),
    ]);
    if (version.spawnError) {
      throw new HiltError("ENGINE_UNAVAILABLE", "the docker CLI is not installed", {
        exitCode: ExitCode.engineUnavailable,
        hint: "install Docker (and the buildx plugin), or use --engine dagger",
      });
    }
    if (version.exitCode !== 0) {
      throw new HiltError(
        "ENGINE_UNAVAILABLE",
        `cannot reach the Docker daemon: ${lastLines(version.stderr, 1)}`,
        {
          exitCode: ExitCode.engineUnavailable,
          hint: "start dockerd (or set DOCKER_HOST), or use --engine dagger",
        },
      );
    }
    if (buildx.exitCode !== 0) {
      throw new HiltError(
        "BUILDX_MISSING",
        "docker buildx is not installed: this daemon only offers the classic builder",
        {
          exitCode: ExitCode.engineUnavailable,
          hint: "Hilt needs BuildKit (secret and cache mounts, digests); install the docker-buildx plugin",
        },
      );
    }
    await this.chooseBuilder(nodes);
  }

  /** The builder and the layer cache of the run, said on stderr; refusals before any build. */
  private async chooseBuilder(nodes: readonly PlanNode[]): Promise<void> {
    const settings = this.options.settings ?? {};
    const env = this.options.env ?? process.env;
    const platforms = [...new Set(nodes.flatMap((n) => n.platforms))].sort();
    if (platforms.length > 1 && !settings.push)
      throw new HiltError(
        "PLATFORM_UNSUPPORTED",
        `${platforms.join(" + ")} cannot be loaded into the docker image store: a multi-platform image needs a registry`,
        {
          exitCode: ExitCode.usage,
          hint: "pass --push host/namespace (or ghcr, ttl.sh), or build one platform with --platform",
        },
      );
    const requested =
      settings.builder ??
      (env.HILT_BUILDER ? { name: env.HILT_BUILDER, source: "HILT_BUILDER" as const } : undefined);
    const exportedCache =
      needsExportingBuilder(settings.cache) &&
      (settings.cache === "gha" || settings.pushesToRegistry === true);
    this.chosen = await discoverBuilder((args, extra) => this.run(args, extra), {
      platforms,
      exportedCache,
      ...(requested ? { requested } : {}),
      ...(env.BUILDX_BUILDER ? { buildxBuilder: env.BUILDX_BUILDER } : {}),
    });
    if (this.chosen) {
      const { name, driver, reason } = this.chosen;
      if (driver !== "docker" && !settings.push)
        throw new HiltError(
          "PLATFORM_UNSUPPORTED",
          `builder ${name} (${driver} driver) keeps its results out of the docker image store, where children start from their parent's image`,
          {
            exitCode: ExitCode.usage,
            hint: "pass --push host/namespace, or build on a docker-driver builder (--builder default)",
          },
        );
      this.options.notice?.(`builder: ${name} (${driver} driver; ${reason})`);
      this.cacheDecision = resolveCache(settings.cache, {
        pushesToRegistry: settings.pushesToRegistry === true,
        builder: name,
        driver,
      });
      if (this.cacheDecision.note) this.options.notice?.(`cache: ${this.cacheDecision.note}`);
      return;
    }
    // buildx could not list its builders: only the native platform is safe on the current one.
    const native = nativePlatform();
    const foreign = platforms.filter((p) => p !== native);
    if (foreign.length > 0) {
      throw new HiltError(
        "PLATFORM_UNSUPPORTED",
        `the docker backend here builds only ${native}, not ${foreign.join(", ")}`,
        {
          exitCode: ExitCode.usage,
          hint: `pass --platform ${native}, or build multi-platform with --engine dagger or a docker-container builder`,
        },
      );
    }
  }

  /** The cache flags of one image's build, from the run's cache decision. */
  private cacheFlags(node: PlanNode, noCache: boolean): string[] {
    const inlineFrom = node.refs.aliases[0];
    return cacheArgv(this.cacheDecision.mode, {
      repository: node.repository,
      name: node.name,
      noCache,
      ...(inlineFrom ? { inlineFrom } : {}),
    });
  }

  /** The image's Dockerfile (rendered or generated ones written now) and its context. */
  private async files(
    node: PlanNode,
    root: string,
    baseRef: string,
  ): Promise<{ nodeDir: string; dockerfile: string; context: string }> {
    const current = this.dir();
    const workDir = await current;
    try {
      return await this.writeFiles(path.join(workDir, node.name), node, root, baseRef);
    } finally {
      // An interrupted run may close the backend while a build is still writing: mkdir
      // -p would bring the removed folder back (seen as /tmp/hilt-docker-*/<image> leftovers).
      if (this.workDir !== current) await rm(workDir, { recursive: true, force: true });
    }
  }

  private async writeFiles(
    nodeDir: string,
    node: PlanNode,
    root: string,
    baseRef: string,
  ): Promise<{ nodeDir: string; dockerfile: string; context: string }> {
    await mkdir(nodeDir, { recursive: true });
    let dockerfile: string;
    let context: string;
    if (node.build.type === "steps") {
      dockerfile = path.join(nodeDir, "Dockerfile");
      await writeFile(dockerfile, renderStepsDockerfile(node, baseRef));
      context = node.build.context
        ? path.resolve(root, node.build.context)
        : path.join(nodeDir, "empty-context");
      await mkdir(context, { recursive: true });
    } else {
      context = path.resolve(root, node.build.context);
      if (node.build.generated) {
        // Generated Dockerfiles exist only now, in the backend's own folder; BuildKit reads
        // <Dockerfile>.dockerignore beside a Dockerfile given with --file.
        dockerfile = path.join(nodeDir, "Dockerfile");
        await writeFile(dockerfile, node.build.generated.dockerfile);
        if (node.build.generated.dockerignore !== undefined)
          await writeFile(`${dockerfile}.dockerignore`, node.build.generated.dockerignore);
      } else {
        dockerfile = path.resolve(root, node.build.dockerfile ?? "Dockerfile");
      }
    }
    return { nodeDir, dockerfile, context };
  }

  async build(request: BuildRequest): Promise<BuildOutput> {
    const { node } = request;
    const { nodeDir, dockerfile, context } = await this.files(node, request.root, request.baseRef);
    const argv = nodeBuildxArgv(node, {
      dockerfile,
      context,
      metadataFile: path.join(nodeDir, "metadata.json"),
      baseRef: request.baseRef,
      tags: request.tags,
      push: request.push,
      noCache: request.noCache,
      secrets: request.secrets,
      sourceDateEpoch: String(request.sourceDateEpoch),
      ...(this.chosen ? { builder: this.chosen.name } : {}),
      cache: this.cacheFlags(node, request.noCache),
      ...(this.chosen && this.chosen.driver !== "docker" ? { ociMediaTypes: true } : {}),
    });
    const metadataFile = path.join(nodeDir, "metadata.json");
    request.log(`docker ${argv.join(" ")}`);
    let result = await this.run(argv, { signal: request.signal });
    if (result.exitCode !== 0 && request.push && !request.signal.aborted) {
      // BuildKit can race its own pushes (the image and the layer cache share a repository:
      // "manifest blob unknown"), and registries drop connections. The build is in the
      // builder's cache by now, so one more try costs only the push.
      const failure = classifyPushFailure(result.stderr);
      if (failure.kind === "registry" || failure.kind === "unavailable") {
        request.log(`${node.name}: the push failed (${failure.reason}); trying once more`);
        result = await this.run(argv, { signal: request.signal });
      }
    }
    if (request.signal.aborted)
      throw new HiltError("INTERRUPTED", "build interrupted", { exitCode: ExitCode.interrupted });
    if (result.exitCode !== 0) {
      // A refused or unreachable registry during the push is the registry's failure (exit 5).
      const failure = request.push ? classifyPushFailure(result.stderr) : undefined;
      if (failure && failure.kind !== "build") {
        throw new HiltError(
          pushFailureCode(failure.kind),
          `pushing ${node.name} failed: ${failure.reason}`,
          {
            hint:
              failure.kind === "auth"
                ? "the registry refused the credentials during the push; check the token's scopes"
                : "the registry did not take the push; see the end of BuildKit's log",
            details: { log: lastLines(result.stderr, 30) },
          },
        );
      }
      const reason =
        result.stderr.match(/^ERROR: (?:failed to solve: )?(.*)$/m)?.[1] ??
        `exit code ${result.exitCode}`;
      throw new HiltError(
        "BUILD_FAILED",
        `docker build of ${node.name} failed: ${reason}\n${lastLines(result.stderr, 15)}`,
        {
          hint: "the lines above are the end of BuildKit's log; run with HILT_DEBUG=1 for the command",
          details: { log: failingStepLog(result.stderr) },
        },
      );
    }
    request.log(`${node.name}: ${describeCacheUse(cacheUse(result.stderr))}`);
    const metadata = parseBuildMetadata(await readFile(metadataFile, "utf8"));
    if (request.push) {
      if (!metadata.manifestDigest)
        throw new HiltError("BUILD_FAILED", `docker reported no pushed digest for ${node.name}`);
      return {
        digest: metadata.manifestDigest,
        ref: `${node.repository}@${metadata.manifestDigest}`,
      };
    }
    const id = metadata.configDigest ?? (await this.localImage(request.tags[0] ?? ""));
    if (!id) throw new HiltError("BUILD_FAILED", `docker reported no image for ${node.name}`);
    // Local children start from the content tag: unique per input, so never a stale image.
    return {
      digest: id,
      ref: request.tags.find((t) => t.includes(":input-")) ?? request.tags[0] ?? id,
    };
  }

  /**
   * The images in one `docker buildx bake`: one BuildKit session, children from their parent's
   * result through a `target:` named context, each pushed (or loaded) as soon as it is built.
   * Rejects when bake fails (bake stops at the first failure): the run then builds one by one.
   */
  async buildSession(
    requests: readonly SessionBuildRequest[],
    onExported: (name: string, at: number) => void = () => {},
  ): Promise<Map<string, SessionOutput>> {
    const first = requests[0];
    if (!first) return new Map();
    const { signal, log, push, noCache } = first;
    const images: SessionImage[] = [];
    for (const request of requests) {
      const { node } = request;
      const { dockerfile, context } = await this.files(node, request.root, request.baseRef);
      images.push({
        node,
        dockerfile,
        context,
        baseRef: request.baseRef,
        ...(request.parentInSession ? { parentInSession: request.parentInSession } : {}),
        tags: request.tags,
        secrets: request.secrets,
        cache: this.cacheFlags(node, request.noCache),
      });
    }
    const sessionDir = await mkdtemp(path.join(await this.dir(), "session-"));
    const bakeFile = path.join(sessionDir, "bake.json");
    const metadataFile = path.join(sessionDir, "metadata.json");
    await writeFile(
      bakeFile,
      JSON.stringify(
        sessionBakeFile(images, {
          push,
          noCache,
          sourceDateEpoch: String(first.sourceDateEpoch),
          ociMediaTypes: this.chosen !== undefined && this.chosen.driver !== "docker",
        }),
      ),
    );
    const targets = sessionTargetNames(images.map((i) => i.node.name));
    const imageOf = new Map([...targets].map(([image, target]) => [target, image]));
    const progress = new SessionProgress({
      pushStep: push && (this.chosen?.driver ?? "docker") === "docker",
      onExported: (target, at) => {
        const image = imageOf.get(target);
        if (image) onExported(image, at);
      },
    });
    const argv = [
      "buildx",
      "bake",
      ...(this.chosen ? ["--builder", this.chosen.name] : []),
      "--progress",
      "plain",
      "--file",
      bakeFile,
      "--metadata-file",
      metadataFile,
    ];
    log(`docker ${argv.join(" ")} (${images.length} images: ${[...targets.keys()].join(", ")})`);
    const result = await this.run(argv, {
      signal,
      cwd: sessionDir,
      onStderr: (chunk) => progress.feed(chunk.toString("utf8"), Date.now()),
    });
    if (signal.aborted) return this.finishedBeforeStop(requests, progress, targets, result.stderr);
    if (result.exitCode !== 0) {
      const reason =
        result.stderr.match(/^ERROR: (?:target \S+: )?(?:failed to solve: )?(.*)$/m)?.[1] ??
        `exit code ${result.exitCode}`;
      throw new HiltError("BUILD_FAILED", `docker buildx bake failed: ${reason}`, {
        details: { log: failingStepLog(result.stderr) },
      });
    }
    const digests = parseSessionMetadata(await readFile(metadataFile, "utf8"), targets);
    // A parent's steps show under its children too: each image's cache use counts its own.
    const parentTarget = new Map<string, string>();
    for (const image of images) {
      const parent = image.parentInSession ? targets.get(image.parentInSession) : undefined;
      if (parent) parentTarget.set(targets.get(image.node.name) as string, parent);
    }
    const parentOf = (t: string) => parentTarget.get(t);
    const texts = new Map<string, string>();
    for (const image of images)
      texts.set(
        targets.get(image.node.name) as string,
        await readFile(image.dockerfile, "utf8").catch(() => ""),
      );
    const outputs = new Map<string, SessionOutput>();
    for (const request of requests) {
      const { node } = request;
      const metadata = digests.get(node.name) ?? {};
      const finishedAt = progress.finishedAt(targets.get(node.name) as string);
      const timing = finishedAt !== undefined ? { finishedAt } : {};
      const own = targetLog(result.stderr, targets.get(node.name) as string, parentOf, (t) =>
        texts.get(t),
      );
      log(`${node.name}: ${describeCacheUse(cacheUse(own))}`);
      if (push) {
        if (!metadata.manifestDigest)
          throw new HiltError("BUILD_FAILED", `docker reported no pushed digest for ${node.name}`);
        outputs.set(node.name, {
          digest: metadata.manifestDigest,
          ref: `${node.repository}@${metadata.manifestDigest}`,
          ...timing,
        });
        continue;
      }
      const id = metadata.configDigest ?? (await this.localImage(request.tags[0] ?? ""));
      if (!id) throw new HiltError("BUILD_FAILED", `docker reported no image for ${node.name}`);
      outputs.set(node.name, {
        digest: id,
        ref: request.tags.find((t) => t.includes(":input-")) ?? request.tags[0] ?? id,
        ...timing,
      });
    }
    return outputs;
  }

  /**
   * An interrupted session: the images it had finished (pushed or loaded), with the digest the
   * registry has (docker driver: the image store's repo digest; BuildKit's own builders: the
   * pushed manifest in the log). The rest are not reported built.
   */
  private async finishedBeforeStop(
    requests: readonly SessionBuildRequest[],
    progress: SessionProgress,
    targets: ReadonlyMap<string, string>,
    log: string,
  ): Promise<Map<string, SessionOutput>> {
    const exported = new Set(progress.exportedTargets());
    const pushed = pushedManifests(log);
    const outputs = new Map<string, SessionOutput>();
    for (const request of requests) {
      const { node } = request;
      const target = targets.get(node.name) as string;
      const tag = request.tags.find((t) => t.includes(":input-")) ?? request.tags[0];
      if (!exported.has(target) || !tag) continue;
      const finishedAt = progress.finishedAt(target);
      let digest: string | undefined;
      if (!request.push) digest = await this.localImage(tag);
      else if ((this.chosen?.driver ?? "docker") !== "docker") digest = pushed.get(tag);
      else {
        const inspected = await this.run([
          "image",
          "inspect",
          "--format",
          "{{json .RepoDigests}}",
          tag,
        ]);
        const repoDigests =
          inspected.exitCode === 0 ? (JSON.parse(inspected.stdout) as string[]) : [];
        digest = repoDigests
          .find((d) => d.startsWith(`${node.repository}@`))
          ?.slice(node.repository.length + 1);
      }
      if (!digest) continue;
      outputs.set(node.name, {
        digest,
        ref: request.push ? `${node.repository}@${digest}` : tag,
        ...(finishedAt !== undefined ? { finishedAt } : {}),
      });
    }
    return outputs;
  }

  async localImage(ref: string): Promise<string | undefined> {
    const result = await this.run(["image", "inspect", "--format", "{{.Id}}", ref]);
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
  }

  /**
   * The local image's uncompressed size. One `docker image inspect` for all the refs asked in
   * the same turn, each ref once a run (a child asks again for its parent's): a no-change rerun
   * of 8 images started 16 inspect processes. None on a builder that keeps its results out of
   * the image store: there is nothing to find.
   */
  imageSize(ref: string): Promise<number | undefined> {
    if (this.chosen && this.chosen.driver !== "docker") return Promise.resolve(undefined);
    let known = this.sizes.get(ref);
    if (!known) {
      known = new Promise((resolve) => {
        if (!this.sizeBatch) {
          const batch = new Map<string, (size: number | undefined) => void>();
          this.sizeBatch = batch;
          setImmediate(() => {
            this.sizeBatch = undefined;
            void this.inspectSizes(batch);
          });
        }
        this.sizeBatch.set(ref, resolve);
      });
      this.sizes.set(ref, known);
    }
    return known;
  }

  private async inspectSizes(
    batch: ReadonlyMap<string, (size: number | undefined) => void>,
  ): Promise<void> {
    const refs = [...batch.keys()];
    const sizeOf = (line: string | undefined) => {
      const bytes = Number(line?.trim());
      return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
    };
    const all = await this.run(["image", "inspect", "--format", "{{.Size}}", ...refs]).catch(
      () => undefined,
    );
    const lines = all?.stdout.trim().split("\n") ?? [];
    if (all?.exitCode === 0 && lines.length === refs.length) {
      for (const [i, ref] of refs.entries()) batch.get(ref)?.(sizeOf(lines[i]));
      return;
    }
    // One ref is missing: docker's output no longer says which line is whose.
    await Promise.all(
      refs.map(async (ref) => {
        const one = await this.run(["image", "inspect", "--format", "{{.Size}}", ref]).catch(
          () => undefined,
        );
        batch.get(ref)?.(one?.exitCode === 0 ? sizeOf(one.stdout) : undefined);
      }),
    );
  }

  async tagLocal(source: string, target: string): Promise<void> {
    const result = await this.run(["tag", source, target]);
    if (result.exitCode !== 0)
      throw new HiltError(
        "TAG_FAILED",
        `docker tag ${target} failed: ${lastLines(result.stderr, 2)}`,
      );
  }

  async close(): Promise<void> {
    const workDir = this.workDir;
    this.workDir = undefined;
    this.sizes.clear();
    const dir = await workDir?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (dir) forgetAtExit(dir);
    this.configDir = undefined;
  }
}
