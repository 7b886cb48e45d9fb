import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExitCode, HiltError } from "../../errors.js";
import { type ExecRequest, type ExecResult, exec } from "../../host/exec.js";
import type { PlanNode } from "../../plan/plan-schema.js";
import type { Credentials } from "../../registry/credentials.js";
import { classifyPushFailure, pushFailureCode } from "../../registry/push-failure.js";
import { renderStepsDockerfile } from "../../render/dockerfile.js";
import type { Backend, BuildOutput, BuildRequest } from "../backend.js";
import { nativePlatform } from "../platform.js";
import { nodeBuildxArgv, parseBuildMetadata } from "./argv.js";
import { privateDockerConfig, userDockerConfigDir } from "./config.js";

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

/** Docker with BuildKit through `docker buildx`, on the default (docker) driver. */
export class DockerBackend implements Backend {
  readonly name = "docker" as const;
  private workDir: string | undefined;
  private configDir: string | undefined;

  constructor(
    private readonly options: {
      /** Registry host → credentials, written to a private DOCKER_CONFIG for this run only. */
      credentials?: ReadonlyMap<string, Credentials>;
      run?: (request: ExecRequest) => Promise<ExecResult>;
      /** Where the user's docker configuration is found (DOCKER_CONFIG, HOME). */
      env?: Record<string, string | undefined>;
    } = {},
  ) {}

  private run(args: string[], extra: Partial<ExecRequest> = {}): Promise<ExecResult> {
    const env = this.configDir ? { DOCKER_CONFIG: this.configDir } : undefined;
    return (this.options.run ?? exec)({
      command: "docker",
      args,
      ...(env ? { env } : {}),
      ...extra,
    });
  }

  private async dir(): Promise<string> {
    this.workDir ??= await mkdtemp(path.join(tmpdir(), "hilt-docker-"));
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
    const version = await this.run(["version", "--format", "{{.Server.Version}}"]);
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
    const buildx = await this.run(["buildx", "version"]);
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
    const native = nativePlatform();
    const foreign = [...new Set(nodes.flatMap((n) => n.platforms))].filter((p) => p !== native);
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

  async build(request: BuildRequest): Promise<BuildOutput> {
    const { node } = request;
    const nodeDir = path.join(await this.dir(), node.name);
    await mkdir(nodeDir, { recursive: true });
    let dockerfile: string;
    let context: string;
    if (node.build.type === "steps") {
      dockerfile = path.join(nodeDir, "Dockerfile");
      await writeFile(dockerfile, renderStepsDockerfile(node, request.baseRef));
      context = node.build.context
        ? path.resolve(request.root, node.build.context)
        : path.join(nodeDir, "empty-context");
      await mkdir(context, { recursive: true });
    } else {
      context = path.resolve(request.root, node.build.context);
      if (node.build.generated) {
        // Generated Dockerfiles exist only now, in the backend's own folder; BuildKit reads
        // <Dockerfile>.dockerignore beside a Dockerfile given with --file.
        dockerfile = path.join(nodeDir, "Dockerfile");
        await writeFile(dockerfile, node.build.generated.dockerfile);
        if (node.build.generated.dockerignore !== undefined)
          await writeFile(`${dockerfile}.dockerignore`, node.build.generated.dockerignore);
      } else {
        dockerfile = path.resolve(request.root, node.build.dockerfile ?? "Dockerfile");
      }
    }
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
    });
    const metadataFile = path.join(nodeDir, "metadata.json");
    request.log(`docker ${argv.join(" ")}`);
    const result = await this.run(argv, { signal: request.signal });
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
          details: { log: lastLines(result.stderr, 30) },
        },
      );
    }
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

  async localImage(ref: string): Promise<string | undefined> {
    const result = await this.run(["image", "inspect", "--format", "{{.Id}}", ref]);
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
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
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
    this.configDir = undefined;
  }
}
