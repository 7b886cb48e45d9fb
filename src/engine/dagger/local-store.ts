import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Container } from "@dagger.io/dagger";
import { ExitCode, HiltError } from "../../errors.js";
import { type ExecRequest, type ExecResult, exec } from "../../host/exec.js";
import type { PlanNode } from "../../plan/plan-schema.js";
import type { BuildOutput } from "../backend.js";

type Env = Record<string, string | undefined>;

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

/**
 * Where local (unpushed) Dagger builds live afterwards: the Docker image store, through an
 * exported tarball and `docker load`. Reruns find them there (cached), aliases really move,
 * and a child of a cached parent imports the parent from there.
 */
export class LocalStore {
  private workDir: string | undefined;

  constructor(
    private readonly env: Env,
    private readonly run: (request: ExecRequest) => Promise<ExecResult> = exec,
  ) {}

  private docker(args: string[]): Promise<ExecResult> {
    const env = this.env.DOCKER_HOST ? { DOCKER_HOST: this.env.DOCKER_HOST } : {};
    return this.run({ command: "docker", args, env });
  }

  private async dir(): Promise<string> {
    this.workDir ??= await mkdtemp(path.join(tmpdir(), "hilt-dagger-"));
    return this.workDir;
  }

  async imageId(ref: string): Promise<string | undefined> {
    const result = await this.docker(["image", "inspect", "--format", "{{.Id}}", ref]);
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
  }

  async tag(source: string, target: string): Promise<void> {
    const result = await this.docker(["tag", source, target]);
    if (result.exitCode !== 0)
      throw new HiltError("TAG_FAILED", `docker tag ${target} failed: ${lastLine(result.stderr)}`);
  }

  /** A local image as a tarball the engine can import, if the store has it. */
  async save(ref: string): Promise<string | undefined> {
    if (!(await this.imageId(ref))) return undefined;
    const file = path.join(await this.dir(), `${ref.replace(/[^\w.-]+/g, "_")}.tar`);
    const result = await this.docker(["save", "--output", file, ref]);
    return result.exitCode === 0 ? file : undefined;
  }

  /** Exports the built container, loads it into the store and names it with every tag. */
  async load(node: PlanNode, container: Container, tags: readonly string[]): Promise<BuildOutput> {
    const file = path.join(await this.dir(), `${node.name}-${Date.now()}.tar`);
    await container.export(file, { mediaTypes: "DockerMediaTypes" as never });
    const loaded = await this.docker(["load", "--input", file]);
    await rm(file, { force: true });
    if (loaded.spawnError || loaded.exitCode !== 0)
      throw new HiltError(
        "ENGINE_UNAVAILABLE",
        `${node.name}: built, but there is no Docker image store to keep it in: ${loaded.spawnError ? "no docker CLI" : lastLine(loaded.stderr)}`,
        {
          exitCode: ExitCode.engineUnavailable,
          hint: "push the run (--push), or make a Docker daemon reachable for local builds",
        },
      );
    const id = loaded.stdout.match(/sha256:[0-9a-f]{64}/)?.[0];
    if (!id)
      throw new HiltError("BUILD_FAILED", `${node.name}: docker load named no image`, {
        details: { log: loaded.stdout.slice(-500) },
      });
    for (const tag of tags) await this.tag(id, tag);
    return {
      digest: id,
      ref: tags.find((t) => t.includes(":input-")) ?? tags[0] ?? id,
    };
  }

  async close(): Promise<void> {
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }
}
