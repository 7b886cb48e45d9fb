import type { Step } from "../model/catalog-schema.js";
import type { PlanNode } from "../plan/plan-schema.js";
import { npmStepCommands } from "./npm-step.js";
import { secretMountFlag } from "./secret-mounts.js";
import { shellWords } from "./shell-words.js";

/** The build argument that carries the parent's exact reference into a Dockerfile. */
export const PARENT_ARG = "PARENT_IMAGE";

// Registry settings and tokens reach RUN steps only as secret mounts, never as layers or args.
const NPM_MOUNTS = `${secretMountFlag("npmrc")} ${secretMountFlag("ca")} --mount=type=cache,target=/root/.npm,sharing=locked`;
const PIP_MOUNTS = `${secretMountFlag("pipconf")} ${secretMountFlag("ca")} --mount=type=cache,target=/root/.cache/pip,sharing=locked`;

function quote(value: string): string {
  return JSON.stringify(value);
}

function renderStep(step: Step): string {
  if (step.apt) {
    return [
      "RUN apt-get update \\",
      `    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${shellWords(step.apt)} \\`,
      "    && rm -rf /var/lib/apt/lists/*",
    ].join("\n");
  }
  if (step.env) {
    return `ENV ${Object.entries(step.env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(" ")}`;
  }
  if (step.run !== undefined) {
    // A block scalar's last newline would leave an empty line inside the instruction.
    const commands = (Array.isArray(step.run) ? step.run : [step.run]).map((c) => c.trimEnd());
    return `RUN ${commands.join(" \\\n    && ")}`;
  }
  if (step.npm)
    return `RUN ${NPM_MOUNTS} \\\n    ${npmStepCommands(step.npm).join(" \\\n    && ")}`;
  if (step.pip) {
    return `RUN ${PIP_MOUNTS} \\\n    PIP_BREAK_SYSTEM_PACKAGES=1 pip install ${shellWords(step.pip)}`;
  }
  if (step.copy) {
    const flags = [
      step.copy.chown ? `--chown=${step.copy.chown}` : "",
      step.copy.chmod ? `--chmod=${step.copy.chmod}` : "",
    ].filter((f) => f !== "");
    return ["COPY", ...flags, JSON.stringify([step.copy.src, step.copy.dest])].join(" ");
  }
  if (step.workdir) return `WORKDIR ${step.workdir}`;
  if (step.user) return `USER ${step.user}`;
  return "";
}

/** A steps image as a Dockerfile, its base given by the PARENT_IMAGE build argument. */
export function renderStepsDockerfile(
  node: Pick<PlanNode, "name" | "build" | "entrypoint" | "cmd">,
  defaultParent: string,
): string {
  if (node.build.type !== "steps") throw new Error(`${node.name} is built from a Dockerfile`);
  const lines = [
    `# Rendered by Hilt from catalog image "${node.name}"; edit the catalog, not this file.`,
    `ARG ${PARENT_ARG}=${defaultParent}`,
    `FROM \${${PARENT_ARG}}`,
    ...node.build.steps.map(renderStep),
  ];
  if (node.entrypoint) lines.push(`ENTRYPOINT ${JSON.stringify(node.entrypoint)}`);
  if (node.cmd) lines.push(`CMD ${JSON.stringify(node.cmd)}`);
  return `${lines.join("\n")}\n`;
}

/**
 * A Dockerfile's text with literal FROM images replaced (base-image mappings, pinned digests): what
 * named build contexts do for BuildKit, for engines without them (Dagger's dockerBuild).
 */
export function withBaseImages(
  dockerfile: string,
  replacements: Readonly<Record<string, string>>,
): string {
  return dockerfile.replace(
    /^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)/gim,
    (line, head: string, image: string) => {
      const replacement = replacements[image];
      return replacement === undefined ? line : `${head}${replacement}`;
    },
  );
}
