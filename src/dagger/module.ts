import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { argument, type Directory, dag, func, object, type Secret } from "@dagger.io/dagger";
import { buildAll as runBuildAll } from "../app/build.js";
import { loadProject, looksLikePath, plan as planGraph } from "../app/plan.js";
import { detect as detectServices } from "../detect/detect.js";
import { DaggerBackend } from "../engine/dagger/backend.js";
import { borrowedSession } from "../engine/dagger/session.js";
import { HiltError } from "../errors.js";
import { toBake } from "../export/bake.js";
import { toMatrix } from "../export/matrix.js";
import { generate as generateFiles } from "../generate/generate.js";
import { resolveRuntimeImage } from "../runtime/resolve-image.js";

const IGNORE = ["**/node_modules", "**/.git", "**/dist", "**/.venv", "**/__pycache__"];

/** The source directory copied to a local folder, so the library reads it like any checkout. */
async function checkout<T>(source: Directory, fn: (root: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(path.join(tmpdir(), "hilt-module-"));
  try {
    await source.export(root);
    return await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const list = (value: string[] | undefined) => (value && value.length > 0 ? value : undefined);

const gitFrom = (sha?: string, branch?: string, tag?: string) => ({
  ...(sha ? { sha } : {}),
  ...(branch ? { branch } : {}),
  ...(tag ? { tag } : {}),
});

interface PlanArgs {
  targets: string[];
  pipeline?: string;
  push?: string;
  owner?: string;
  platform?: string[];
  sha?: string;
  branch?: string;
  tag?: string;
}

/** The plan of a checkout; generated Dockerfiles are removed before it is returned. */
async function planIn(root: string, a: PlanArgs) {
  const { targets, pipeline, push, owner } = a;
  const result = await planGraph({
    root,
    targets,
    pipeline,
    push,
    owner,
    platforms: list(a.platform),
    git: gitFrom(a.sha, a.branch, a.tag),
  });
  await result.cleanup();
  return result;
}

/** Hilt: declarative container build pipelines. Each function returns what the CLI prints. */
@object()
export class Hilt {
  /**
   * Build and push every image of a pipeline (default: pipelines/default.yaml); returns the result JSON.
   * @param source Repository to build (default: this module's repository)
   * @param pipeline Pipeline name in pipelines/ or a path
   * @param push none | ttl.sh | ghcr | ghcr.io/OWNER | host[:port]/namespace
   * @param owner GHCR owner (default: GITHUB_REPOSITORY_OWNER)
   * @param platform Platforms, e.g. linux/amd64,linux/arm64
   * @param username Registry username (GHCR: your GitHub user)
   * @param password Registry password or token, as a Dagger secret (env://GITHUB_TOKEN)
   * @param sha Commit to tag as
   * @param branch Branch to tag as
   * @param tag Git tag to tag as, e.g. v1.2.3
   * @param concurrency Images built at once
   * @param buildSecrets Give detected repositories' builds the npm/pip token and run their install scripts (they are untrusted by default)
   */
  @func()
  async buildAll(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    pipeline?: string,
    push?: string,
    owner?: string,
    platform?: string[],
    username?: string,
    password?: Secret,
    sha?: string,
    branch?: string,
    tag?: string,
    concurrency?: number,
    buildSecrets?: boolean,
  ): Promise<string> {
    return this.build(
      source,
      [],
      pipeline,
      push,
      owner,
      platform,
      username,
      password,
      sha,
      branch,
      tag,
      concurrency,
      buildSecrets,
    );
  }

  /**
   * Build catalog images or groups (with their parents), or the services of repository folders.
   * @param source Repository to build (default: this module's repository)
   * @param targets Catalog images or groups, or folders of the repository
   * @param pipeline Pipeline name in pipelines/ or a path
   * @param push none | ttl.sh | ghcr | ghcr.io/OWNER | host[:port]/namespace
   * @param owner GHCR owner (default: GITHUB_REPOSITORY_OWNER)
   * @param platform Platforms, e.g. linux/amd64,linux/arm64
   * @param username Registry username
   * @param password Registry password or token, as a Dagger secret
   * @param sha Commit to tag as
   * @param branch Branch to tag as
   * @param tag Git tag to tag as
   * @param concurrency Images built at once
   * @param buildSecrets Give detected repositories' builds the npm/pip token and run their install scripts (they are untrusted by default)
   */
  @func()
  async build(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    targets: string[] = [],
    pipeline?: string,
    push?: string,
    owner?: string,
    platform?: string[],
    username?: string,
    password?: Secret,
    sha?: string,
    branch?: string,
    tag?: string,
    concurrency?: number,
    buildSecrets?: boolean,
  ): Promise<string> {
    const secret = password ? await password.plaintext() : undefined;
    const env = {
      ...process.env,
      ...(secret
        ? { HILT_REGISTRY_PASSWORD: secret, HILT_REGISTRY_USERNAME: username ?? "hilt" }
        : {}),
    };
    return checkout(source, async (root) => {
      const result = await runBuildAll({
        root,
        targets: targets.map((t) => (looksLikePath(t) ? path.join(root, t) : t)),
        pipeline,
        push,
        owner,
        platforms: list(platform),
        git: gitFrom(sha, branch, tag),
        concurrency,
        buildSecrets,
        env,
        // The call's own session (`dag`): `source` belongs to it.
        backend: new DaggerBackend({ env, source, session: borrowedSession(dag) }),
      });
      return JSON.stringify(result, null, 2);
    });
  }

  /**
   * The services of a repository, with the source of every fact (the JSON of `hilt detect`).
   * @param source Repository (default: this module's repository)
   * @param path Folder inside it
   */
  @func()
  async detect(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    path = ".",
  ): Promise<string> {
    return checkout(source, async (root) =>
      JSON.stringify(detectServices(`${root}/${path}`), null, 2),
    );
  }

  /**
   * The build graph: waves, input hashes and refs (the JSON of `hilt plan`).
   * @param source Repository (default: this module's repository)
   * @param targets Catalog images or groups
   * @param pipeline Pipeline name or path
   * @param push Push target
   * @param owner GHCR owner
   * @param platform Platforms
   * @param sha Commit to tag as
   * @param branch Branch to tag as
   * @param tag Git tag to tag as
   */
  @func()
  async plan(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    targets: string[] = [],
    pipeline?: string,
    push?: string,
    owner?: string,
    platform?: string[],
    sha?: string,
    branch?: string,
    tag?: string,
  ): Promise<string> {
    return checkout(source, async (root) => {
      const result = await planIn(root, {
        targets,
        pipeline,
        push,
        owner,
        platform,
        sha,
        branch,
        tag,
      });
      return JSON.stringify(result.graph, null, 2);
    });
  }

  /**
   * Check the catalog and pipeline; returns {ok, warnings} or fails listing every problem.
   * @param source Repository (default: this module's repository)
   * @param pipeline Pipeline name or path
   */
  @func()
  async validate(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    pipeline?: string,
  ): Promise<string> {
    return checkout(source, async (root) =>
      JSON.stringify(
        { ok: true, warnings: (await loadProject({ root, pipeline })).warnings },
        null,
        2,
      ),
    );
  }

  /**
   * Which image a session or a task runs in (the JSON of `hilt resolve-image --json`).
   * @param source Repository whose catalog supplies defaults
   * @param mode session or task
   * @param provider Task provider, e.g. claude, codex
   * @param needs Capabilities the image must provide
   * @param registry Registry prefix for catalog images
   * @param pipeline Pipeline whose catalog supplies defaults
   */
  @func()
  async resolveImage(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    mode: string,
    provider?: string,
    needs?: string[],
    registry?: string,
    pipeline?: string,
  ): Promise<string> {
    if (mode !== "session" && mode !== "task")
      throw new HiltError("INVALID_ARGUMENT", `mode "${mode}" is neither session nor task`, {
        hint: "pass mode: session or mode: task",
      });
    return checkout(source, async (root) => {
      const resolution = await resolveRuntimeImage(
        { mode, provider, needs, registry, env: process.env },
        {
          load: async () => (await loadProject({ root, pipeline })).catalog.catalog,
          named: pipeline !== undefined,
        },
      );
      return JSON.stringify(resolution, null, 2);
    });
  }

  /**
   * Generated Dockerfiles and .dockerignore files, as a directory to export:
   * `dagger call generate export --path .`
   * @param source Repository (default: this module's repository)
   * @param path Folder inside it
   * @param roles One role-switch Dockerfile for a client/server repository, with run scripts
   */
  @func()
  async generate(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    path = ".",
    roles = false,
  ): Promise<Directory> {
    return checkout(source, async (root) => {
      const { files } = generateFiles(`${root}/${path}`, { roles });
      return files.reduce(
        (dir, file) =>
          dir.withNewFile(file.path, file.content, file.executable ? { permissions: 0o755 } : {}),
        dag.directory(),
      );
    });
  }

  /**
   * A docker-bake file for the same graph (the output of `hilt export bake`).
   * @param source Repository (default: this module's repository)
   * @param targets Catalog images or groups
   * @param pipeline Pipeline name or path
   * @param push Push target
   * @param owner GHCR owner
   * @param platform Platforms
   * @param sha Commit to tag as
   * @param branch Branch to tag as
   * @param tag Git tag to tag as
   */
  @func()
  async exportBake(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    targets: string[] = [],
    pipeline?: string,
    push?: string,
    owner?: string,
    platform?: string[],
    sha?: string,
    branch?: string,
    tag?: string,
  ): Promise<string> {
    return checkout(source, async (root) => {
      const result = await planIn(root, {
        targets,
        pipeline,
        push,
        owner,
        platform,
        sha,
        branch,
        tag,
      });
      return JSON.stringify(toBake(result.graph, { root }), null, 2);
    });
  }

  /**
   * A GitHub Actions matrix per wave (the output of `hilt export matrix`).
   * @param source Repository (default: this module's repository)
   * @param targets Catalog images or groups
   * @param pipeline Pipeline name or path
   * @param push Push target
   * @param owner GHCR owner
   * @param platform Platforms
   * @param sha Commit to tag as
   * @param branch Branch to tag as
   * @param tag Git tag to tag as
   */
  @func()
  async exportMatrix(
    @argument({ defaultPath: "/", ignore: IGNORE }) source: Directory,
    targets: string[] = [],
    pipeline?: string,
    push?: string,
    owner?: string,
    platform?: string[],
    sha?: string,
    branch?: string,
    tag?: string,
  ): Promise<string> {
    return checkout(source, async (root) => {
      const result = await planIn(root, {
        targets,
        pipeline,
        push,
        owner,
        platform,
        sha,
        branch,
        tag,
      });
      return JSON.stringify(toMatrix(result.graph), null, 2);
    });
  }
}
