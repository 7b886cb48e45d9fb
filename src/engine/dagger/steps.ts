import { readFileSync } from "node:fs";
import path from "node:path";
import type { Client, Container, Directory, ExistsType } from "@dagger.io/dagger";
import { HiltError } from "../../errors.js";
import type { Step } from "../../model/catalog-schema.js";
import { npmStepArgv } from "../../render/npm-step.js";
import { SECRET_MOUNTS, type SecretName } from "../../render/secret-mounts.js";
import type { BuildSecrets } from "../backend.js";

export const NO_CACHE_VAR = "HILT_NO_CACHE";

/** One catalog step, named as a reader finds it in the catalog: `step 3 (apt: curl git)`. */
export function describeStep(step: Step, index: number): string {
  const [kind, value] = Object.entries(step)[0] ?? ["?", ""];
  const text = Array.isArray(value)
    ? value.join(" ")
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
  return `step ${index + 1} (${kind}: ${text.length > 80 ? `${text.slice(0, 80)}…` : text})`;
}

/** The shell command a `run`/`apt` step executes, to find the step an ExecError names. */
export function stepCommand(step: Step): string[] | undefined {
  if (step.apt)
    return [
      "sh",
      "-c",
      `apt-get update && apt-get install -y --no-install-recommends ${step.apt.join(" ")} && rm -rf /var/lib/apt/lists/*`,
    ];
  if (step.run !== undefined)
    return ["sh", "-c", Array.isArray(step.run) ? step.run.join(" && ") : step.run];
  if (step.npm) return npmStepArgv(step.npm);
  if (step.pip) return ["pip", "install", ...step.pip];
  return undefined;
}

/** Dagger secrets named by their mount ids: dockerBuild mounts a secret where its name says. */
export function daggerSecrets(
  client: Client,
  secrets: BuildSecrets,
  read: (file: string) => string = (file) => readFileSync(file, "utf8"),
): Partial<Record<SecretName, ReturnType<Client["setSecret"]>>> {
  const out: Partial<Record<SecretName, ReturnType<Client["setSecret"]>>> = {};
  for (const name of Object.keys(SECRET_MOUNTS) as SecretName[]) {
    const file = secrets[name];
    if (file) out[name] = client.setSecret(SECRET_MOUNTS[name].id, read(file));
  }
  return out;
}

/** COPY semantics: a file into `dest/` keeps its name, into `dest` becomes `dest`. */
export function copyDestination(src: string, dest: string, srcIsFile: boolean): string {
  return srcIsFile && dest.endsWith("/") ? path.posix.join(dest, path.posix.basename(src)) : dest;
}

async function copyStep(
  container: Container,
  copy: NonNullable<Step["copy"]>,
  index: number,
  context: Directory | undefined,
): Promise<Container> {
  if (!context)
    throw new HiltError(
      "BUILD_FAILED",
      `${describeStep({ copy }, index)} copies from the build context, but the image has none`,
      { hint: "give the image a `context:` folder in the catalog" },
    );
  // The enum's value, spelled out: a value import would load the Dagger SDK for every command.
  const regularFile = "REGULAR_TYPE" as unknown as ExistsType;
  const isFile = await context.exists(copy.src, { expectedType: regularFile });
  const options = {
    ...(copy.chown ? { owner: copy.chown } : {}),
    ...(copy.chmod ? { permissions: Number.parseInt(copy.chmod, 8) } : {}),
  };
  if (isFile)
    return container.withFile(
      copyDestination(copy.src, copy.dest, true),
      context.file(copy.src),
      options,
    );
  const c = container.withDirectory(copy.dest, context.directory(copy.src), {
    ...(copy.chown ? { owner: copy.chown } : {}),
  });
  return copy.chmod ? c.withExec(["chmod", "-R", copy.chmod, copy.dest]) : c;
}

/** Catalog steps as native Dagger calls on the parent container. */
export async function applyStep(
  client: Client,
  container: Container,
  step: Step,
  index: number,
  context: Directory | undefined,
  secrets: ReturnType<typeof daggerSecrets>,
): Promise<Container> {
  const exec = (c: Container, cmd: string[] | undefined) => c.withExec(cmd ?? []);
  const mount = (c: Container, names: SecretName[]) =>
    names.reduce((acc, name) => {
      const secret = secrets[name];
      return secret ? acc.withMountedSecret(SECRET_MOUNTS[name].target, secret) : acc;
    }, c);
  if (step.apt)
    return exec(
      container.withEnvVariable("DEBIAN_FRONTEND", "noninteractive"),
      stepCommand(step),
    ).withoutEnvVariable("DEBIAN_FRONTEND");
  if (step.env)
    return Object.entries(step.env).reduce(
      (c, [k, v]) => c.withEnvVariable(k, v, { expand: true }),
      container,
    );
  if (step.run !== undefined) return exec(container, stepCommand(step));
  if (step.npm)
    return exec(
      mount(container, ["npmrc", "ca"]).withMountedCache(
        "/root/.npm",
        client.cacheVolume("hilt-npm"),
      ),
      stepCommand(step),
    )
      .withoutMount(SECRET_MOUNTS.npmrc.target)
      .withoutMount(SECRET_MOUNTS.ca.target);
  if (step.pip)
    return exec(
      mount(container, ["pipconf", "ca"])
        .withMountedCache("/root/.cache/pip", client.cacheVolume("hilt-pip"))
        .withEnvVariable("PIP_BREAK_SYSTEM_PACKAGES", "1"),
      stepCommand(step),
    )
      .withoutEnvVariable("PIP_BREAK_SYSTEM_PACKAGES")
      .withoutMount(SECRET_MOUNTS.pipconf.target)
      .withoutMount(SECRET_MOUNTS.ca.target);
  if (step.copy) return copyStep(container, step.copy, index, context);
  if (step.workdir) return container.withWorkdir(step.workdir);
  if (step.user) return container.withUser(step.user);
  throw new HiltError(
    "BUILD_FAILED",
    `${describeStep(step, index)}: the dagger backend has no such step`,
    {
      hint: "use one of apt, env, run, npm, pip, copy, workdir, user",
    },
  );
}

/** Every stage of a Dockerfile declares ARG HILT_NO_CACHE: a new value misses each RUN's cache. */
export function withNoCacheArg(dockerfile: string): string {
  return dockerfile.replace(/^(\s*FROM\s[^\n]*[^\\\n])$/gim, `$1\nARG ${NO_CACHE_VAR}`);
}
