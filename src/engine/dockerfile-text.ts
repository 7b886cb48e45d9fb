import path from "node:path";
import { HiltError } from "../errors.js";
import { readRegularFile } from "../fs/untrusted.js";
import type { BuildSpec } from "../plan/plan-schema.js";

type DockerfileSpec = Extract<BuildSpec, { type: "dockerfile" }>;

/** The text a Dockerfile node builds: generated (in the plan) or read from the repository. */
export function dockerfileText(build: DockerfileSpec, root: string): string {
  if (build.generated) return build.generated.dockerfile;
  if (build.dockerfile === undefined)
    throw new HiltError("INTERNAL", "a Dockerfile node with neither a path nor a text");
  const file = path.resolve(root, build.dockerfile);
  return readRegularFile(file, { display: build.dockerfile }).toString("utf8");
}
