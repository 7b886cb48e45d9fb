import { readFileSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Client, Container, Directory } from "@dagger.io/dagger";
import { ExitCode, HiltError } from "../../errors.js";
import type { Step } from "../../model/catalog-schema.js";
import type { PlanNode } from "../../plan/plan-schema.js";
import type { Credentials } from "../../registry/credentials.js";
import { PARENT_ARG, withBaseImages } from "../../render/dockerfile.js";
import { SECRET_MOUNTS } from "../../render/secret-mounts.js";
import type { Backend, BuildOutput, BuildRequest, BuildSecrets } from "../backend.js";
import { dockerfileText } from "../dockerfile-text.js";
import { findDaggerCli, hasDaggerSession } from "./locate.js";

type Env = Record<string, string | undefined>;

function unavailable(message: string, cause?: unknown): HiltError {
  return new HiltError("ENGINE_UNAVAILABLE", message, {
    exitCode: ExitCode.engineUnavailable,
    cause,
    hint: "run inside `dagger run`, put the dagger CLI on PATH (or set HILT_DAGGER_BIN) with an engine it can reach, or use --engine docker",
  });
}

/** Catalog steps as native Dagger calls on the parent container. */
function applyStep(
  client: Client,
  container: Container,
  step: Step,
  context: Directory | undefined,
  secrets: BuildSecrets,
): Container {
  const sh = (script: string) => container.withExec(["sh", "-c", script]);
  if (step.apt) {
    return container
      .withEnvVariable("DEBIAN_FRONTEND", "noninteractive")
      .withExec([
        "sh",
        "-c",
        `apt-get update && apt-get install -y --no-install-recommends ${step.apt.join(" ")} && rm -rf /var/lib/apt/lists/*`,
      ])
      .withoutEnvVariable("DEBIAN_FRONTEND");
  }
  if (step.env)
    return Object.entries(step.env).reduce(
      (c, [k, v]) => c.withEnvVariable(k, v, { expand: true }),
      container,
    );
  if (step.run !== undefined) return sh(Array.isArray(step.run) ? step.run.join(" && ") : step.run);
  const withSecrets = (c: Container, target: string, file: string | undefined, name: string) =>
    file ? c.withMountedSecret(target, client.setSecret(name, readFileSync(file, "utf8"))) : c;
  if (step.npm) {
    let c = withSecrets(container, SECRET_MOUNTS.npmrc.target, secrets.npmrc, "hilt-npmrc");
    c = withSecrets(c, SECRET_MOUNTS.ca.target, secrets.ca, "hilt-ca");
    return c
      .withMountedCache("/root/.npm", client.cacheVolume("hilt-npm"))
      .withExec(["npm", "install", "-g", "--no-fund", "--no-audit", ...step.npm]);
  }
  if (step.pip) {
    let c = withSecrets(container, SECRET_MOUNTS.pipconf.target, secrets.pipconf, "hilt-pipconf");
    c = withSecrets(c, SECRET_MOUNTS.ca.target, secrets.ca, "hilt-ca");
    return c
      .withMountedCache("/root/.cache/pip", client.cacheVolume("hilt-pip"))
      .withEnvVariable("PIP_BREAK_SYSTEM_PACKAGES", "1")
      .withExec(["pip", "install", ...step.pip]);
  }
  if (step.copy && context) {
    const owner = step.copy.chown ? { owner: step.copy.chown } : {};
    return container.withDirectory(step.copy.dest, context.directory(step.copy.src), owner);
  }
  if (step.workdir) return container.withWorkdir(step.workdir);
  if (step.user) return container.withUser(step.user);
  return container;
}

/**
 * The Dagger SDK backend. One session serves the whole run: a child is built from its parent's
 * container object in that session, so no registry round-trip and never a stale tag.
 */
export class DaggerBackend implements Backend {
  readonly name = "dagger" as const;
  private client: Client | undefined;
  private closeSession: (() => void) | undefined;
  private session: Promise<void> | undefined;
  /** Built containers by image and platform: children start from these, in this session. */
  private readonly containers = new Map<string, Map<string, Container>>();

  constructor(
    private readonly options: {
      credentials?: ReadonlyMap<string, Credentials>;
      env?: Env;
      logOutput?: Writable;
      /** Inside a module call: the repository as a Directory, read instead of the host. */
      source?: Directory;
    } = {},
  ) {}

  /** A folder of the run's checkout as a Directory: from the module's source, else the host. */
  private directory(client: Client, root: string, absolute: string): Directory {
    const relative = path.relative(root, absolute);
    if (this.options.source && !relative.startsWith(".."))
      return this.options.source.directory(relative === "" ? "." : relative);
    return client.host().directory(absolute);
  }

  async preflight(_nodes: readonly PlanNode[]): Promise<void> {
    const env = this.options.env ?? process.env;
    if (!hasDaggerSession(env)) {
      const cli = findDaggerCli(env);
      if (!cli)
        throw unavailable(
          "no Dagger engine: not inside `dagger run`, and no dagger CLI on PATH or in HILT_DAGGER_BIN",
        );
      process.env._EXPERIMENTAL_DAGGER_CLI_BIN = cli;
      process.env.DO_NOT_TRACK ??= "1";
      process.env.DAGGER_NO_UPDATE_CHECK ??= "1";
    }
    const { connect } = await import("@dagger.io/dagger");
    this.client = await new Promise<Client>((resolve, reject) => {
      const held = new Promise<void>((release) => {
        this.closeSession = release;
      });
      this.session = connect(
        async (client) => {
          resolve(client);
          await held;
        },
        { LogOutput: this.options.logOutput ?? process.stderr },
      ).catch((error: unknown) => {
        reject(unavailable(`could not start a Dagger session: ${(error as Error).message}`, error));
      });
    });
  }

  private requireClient(): Client {
    if (!this.client) throw new HiltError("INTERNAL", "dagger backend used before preflight");
    return this.client;
  }

  async build(request: BuildRequest): Promise<BuildOutput> {
    const client = this.requireClient();
    const { node } = request;
    const parents = node.from.type === "image" ? this.containers.get(node.from.name) : undefined;
    const variants: Container[] = [];
    for (const platform of node.platforms) {
      let container: Container;
      if (node.build.type === "dockerfile") {
        // The Dockerfile goes into the context under a fixed name: generated ones live outside it.
        const dockerfile = ".hilt.Dockerfile";
        // Dagger's dockerBuild has no named build contexts: base-image replacements (mapping,
        // pinned digests) are written into the FROM lines instead.
        const text = withBaseImages(dockerfileText(node.build, request.root), {
          ...node.build.baseContexts,
        });
        const buildArgs = Object.entries({
          ...node.build.buildArgs,
          [PARENT_ARG]: request.baseRef,
        }).map(([name, value]) => ({ name, value }));
        const context = this.directory(
          client,
          request.root,
          path.resolve(request.root, node.build.context),
        ).withNewFile(dockerfile, text);
        container = context.dockerBuild({
          dockerfile,
          platform: platform as never,
          buildArgs,
          ...(node.build.target ? { target: node.build.target } : {}),
        });
      } else {
        const base =
          parents?.get(platform) ??
          client.container({ platform: platform as never }).from(request.baseRef);
        const context = node.build.context
          ? this.directory(client, request.root, path.resolve(request.root, node.build.context))
          : undefined;
        container = node.build.steps.reduce(
          (c, step) => applyStep(client, c, step, context, request.secrets),
          base,
        );
      }
      for (const [k, v] of Object.entries(node.labels)) container = container.withLabel(k, v);
      if (node.entrypoint) container = container.withEntrypoint(node.entrypoint);
      if (node.cmd) container = container.withDefaultArgs(node.cmd);
      variants.push(container);
    }
    this.containers.set(
      node.name,
      new Map(node.platforms.map((p, i) => [p, variants[i] as Container])),
    );
    const first = variants[0];
    if (!first) throw new HiltError("BUILD_FAILED", `${node.name} has no platform to build`);
    try {
      if (!request.push) {
        await Promise.all(variants.map((v) => v.sync()));
        return { digest: "", ref: `${node.repository}:${node.contentTag}` };
      }
      let publisher = client.container();
      const host = node.repository.split("/")[0] ?? "";
      const credentials = this.options.credentials?.get(host);
      if (credentials)
        publisher = publisher.withRegistryAuth(
          host,
          credentials.username,
          client.setSecret(`hilt-registry-${host}`, credentials.password),
        );
      let digestRef = "";
      for (const tag of request.tags) {
        digestRef = await publisher.publish(tag, { platformVariants: variants });
      }
      const digest = digestRef.slice(digestRef.indexOf("@") + 1);
      return { digest, ref: `${node.repository}@${digest}` };
    } catch (error) {
      throw new HiltError(
        "BUILD_FAILED",
        `dagger build of ${node.name} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async localImage(_ref: string): Promise<string | undefined> {
    return undefined; // the engine's cache plays this part: an unchanged local build is instant
  }

  async tagLocal(_source: string, _target: string): Promise<void> {}

  async close(): Promise<void> {
    this.closeSession?.();
    await this.session;
    this.client = undefined;
  }
}
