import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Client, Container, Directory } from "@dagger.io/dagger";
import { HiltError } from "../../errors.js";
import { parseReference } from "../../model/oci.js";
import type { PlanNode } from "../../plan/plan-schema.js";
import type { Credentials } from "../../registry/credentials.js";
import { PARENT_ARG, withBaseImages } from "../../render/dockerfile.js";
import type { Backend, BuildOutput, BuildRequest } from "../backend.js";
import { dockerfileText } from "../dockerfile-text.js";
import { interrupted, readableFailure } from "./errors.js";
import { LocalStore } from "./local-store.js";
import { type DaggerSession, openSession } from "./session.js";
import {
  applyStep,
  daggerSecrets,
  describeStep,
  NO_CACHE_VAR,
  stepCommand,
  withNoCacheArg,
} from "./steps.js";

type Env = Record<string, string | undefined>;

/** Rejects as soon as `signal` aborts; never resolves otherwise. */
function aborted(signal: AbortSignal, image: string): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(interrupted(image));
    signal.addEventListener("abort", () => reject(interrupted(image)), { once: true });
  });
}

/**
 * The Dagger SDK backend. One session serves the whole run: a child is built from its parent's
 * container object in that session, so no registry round-trip and never a stale tag.
 */
export class DaggerBackend implements Backend {
  readonly name = "dagger" as const;
  private session: DaggerSession | undefined;
  /** Built containers by image and platform: children start from these, in this session. */
  private readonly containers = new Map<string, Map<string, Container>>();
  /** Local builds land in the Docker image store (see LocalStore). */
  private readonly local: LocalStore;

  constructor(
    private readonly options: {
      credentials?: ReadonlyMap<string, Credentials>;
      env?: Env;
      logOutput?: Writable;
      /** Inside a module call: the repository as a Directory, read instead of the host. */
      source?: Directory;
      /** An open session (the auto probe's, a module call's, a test's): used as is. */
      session?: DaggerSession;
      /** Close `session` with the backend (the probe's); others belong to their opener. */
      ownsSession?: boolean;
      local?: LocalStore;
    } = {},
  ) {
    this.local = options.local ?? new LocalStore(options.env ?? process.env);
  }

  /** A folder of the run's checkout as a Directory: from the module's source, else the host. */
  private directory(client: Client, root: string, absolute: string): Directory {
    const relative = path.relative(root, absolute);
    if (this.options.source && !relative.startsWith(".."))
      return this.options.source.directory(relative === "" ? "." : relative);
    return client.host().directory(absolute);
  }

  async preflight(_nodes: readonly PlanNode[]): Promise<void> {
    if (this.session) return;
    this.session =
      this.options.session ??
      (await openSession(this.options.env ?? process.env, {
        ...(this.options.logOutput ? { logOutput: this.options.logOutput } : {}),
      }));
  }

  private requireSession(): DaggerSession {
    if (!this.session) throw new HiltError("INTERNAL", "dagger backend used before preflight");
    return this.session;
  }

  /** What a steps image starts from on one platform. */
  private async base(client: Client, request: BuildRequest, platform: string): Promise<Container> {
    const { node } = request;
    const parent = node.from.type === "image" ? this.containers.get(node.from.name) : undefined;
    const fromSession = parent?.get(platform);
    if (fromSession) return fromSession;
    // A parent cached in the local store (a rerun): the engine cannot pull it by name.
    if (!request.push && node.from.type === "image") {
      const tarball = await this.local.save(request.baseRef);
      if (tarball)
        return client
          .container({ platform: platform as never })
          .import_(client.host().file(tarball));
    }
    return client.container({ platform: platform as never }).from(request.baseRef);
  }

  private async variant(
    client: Client,
    request: BuildRequest,
    platform: string,
    base: Container | undefined,
    nonce: string | undefined,
  ): Promise<Container> {
    const { node } = request;
    const secrets = daggerSecrets(client, request.secrets);
    let container: Container;
    if (node.build.type === "dockerfile") {
      // The Dockerfile goes into the context under a fixed name: generated ones live outside it.
      const dockerfile = ".hilt.Dockerfile";
      // Dagger's dockerBuild has no named build contexts: base-image replacements (mapping,
      // pinned digests) are written into the FROM lines instead.
      let text = withBaseImages(dockerfileText(node.build, request.root), {
        ...node.build.baseContexts,
      });
      if (nonce) text = withNoCacheArg(text);
      const buildArgs = Object.entries({
        ...node.build.buildArgs,
        [PARENT_ARG]: request.baseRef,
        SOURCE_DATE_EPOCH: String(request.sourceDateEpoch),
        ...(nonce ? { [NO_CACHE_VAR]: nonce } : {}),
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
        secrets: Object.values(secrets),
        ...(node.build.target ? { target: node.build.target } : {}),
      });
    } else {
      const context = node.build.context
        ? this.directory(client, request.root, path.resolve(request.root, node.build.context))
        : undefined;
      const start = nonce
        ? (base as Container).withEnvVariable(NO_CACHE_VAR, nonce)
        : (base as Container);
      container = start;
      for (const [i, step] of node.build.steps.entries())
        container = await applyStep(client, container, step, i, context, secrets);
      if (nonce) container = container.withoutEnvVariable(NO_CACHE_VAR);
    }
    for (const [k, v] of Object.entries(node.labels)) container = container.withLabel(k, v);
    if (node.entrypoint) container = container.withEntrypoint(node.entrypoint);
    if (node.cmd) container = container.withDefaultArgs(node.cmd);
    return container;
  }

  private describeCommand(node: PlanNode, cmd: readonly string[]): string | undefined {
    if (node.build.type !== "steps") return undefined;
    const index = node.build.steps.findIndex(
      (s) => JSON.stringify(stepCommand(s)) === JSON.stringify(cmd),
    );
    const step = node.build.steps[index];
    return step ? describeStep(step, index) : undefined;
  }

  async build(request: BuildRequest): Promise<BuildOutput> {
    const session = this.requireSession();
    const { client } = session;
    const { node, signal } = request;
    const stop = aborted(signal, node.name);
    stop.catch(() => {});
    try {
      if (signal.aborted) throw interrupted(node.name);
      if (!request.push && node.platforms.length > 1)
        throw new HiltError(
          "PLATFORM_UNSUPPORTED",
          `${node.name}: a local build holds one platform, not ${node.platforms.join(", ")}`,
          { hint: "push multi-platform images (--push), or pass one --platform" },
        );
      if (!request.push && node.build.type === "dockerfile" && node.from.type === "image")
        throw new HiltError(
          "BUILD_FAILED",
          `${node.name}: a Dockerfile image whose parent (${node.from.name}) is a catalog image needs --push under the dagger backend`,
          {
            hint: "Dagger's dockerBuild starts only from an image a registry serves: push the run (--push), or use --engine docker",
          },
        );
      const nonce = request.noCache ? randomBytes(8).toString("hex") : undefined;
      const variants: Container[] = [];
      for (const platform of node.platforms) {
        const base =
          node.build.type === "steps" ? await this.base(client, request, platform) : undefined;
        variants.push(await this.variant(client, request, platform, base, nonce));
      }
      const wait = <T>(work: Promise<T>) => Promise.race([work, stop, session.lost]);
      const produced = await wait(Promise.all(variants.map((v) => v.platform())));
      await wait(Promise.all(variants.map((v) => v.sync())));
      this.checkPlatforms(node, produced);
      this.containers.set(
        node.name,
        new Map(node.platforms.map((p, i) => [p, variants[i] as Container])),
      );
      // Interrupted work is never pushed, nor loaded, nor reported built.
      if (signal.aborted) throw interrupted(node.name);
      if (!request.push)
        return await wait(this.local.load(node, variants[0] as Container, request.tags));
      return await wait(this.publish(client, node, variants, request.tags));
    } catch (error) {
      if (signal.aborted) throw interrupted(node.name);
      throw readableFailure(node.name, error, (cmd) => this.describeCommand(node, cmd));
    }
  }

  /** Platform honesty: Dagger keeps a single-platform base's platform whatever was asked. */
  private checkPlatforms(node: PlanNode, produced: readonly string[]): void {
    const wrong = node.platforms.filter((p, i) => produced[i] !== p);
    if (wrong.length > 0)
      throw new HiltError(
        "PLATFORM_MISSING",
        `${node.name}: the engine produced ${produced.join(", ")} where ${node.platforms.join(", ")} was asked`,
        { hint: "the base image lacks a platform: pass only the platforms it has (--platform)" },
      );
  }

  private async publish(
    client: Client,
    node: PlanNode,
    variants: Container[],
    tags: readonly string[],
  ): Promise<BuildOutput> {
    let publisher = client.container();
    const parsed = parseReference(node.repository);
    const host = (parsed.ok ? parsed.value.domain : undefined) ?? "docker.io";
    const credentials = this.options.credentials?.get(host);
    if (credentials)
      publisher = publisher.withRegistryAuth(
        host,
        credentials.username,
        client.setSecret(`hilt-registry-${host}`, credentials.password),
      );
    let digestRef = "";
    for (const tag of tags)
      digestRef = await publisher.publish(tag, { platformVariants: variants });
    const digest = digestRef.slice(digestRef.indexOf("@") + 1);
    return { digest, ref: `${node.repository}@${digest}` };
  }

  async localImage(ref: string): Promise<string | undefined> {
    return this.local.imageId(ref);
  }

  async tagLocal(source: string, target: string): Promise<void> {
    await this.local.tag(source, target);
  }

  async close(): Promise<void> {
    await this.local.close();
    if (this.session && (this.session !== this.options.session || this.options.ownsSession))
      await this.session.close();
    this.session = undefined;
  }
}
