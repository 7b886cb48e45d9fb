import path from "node:path";
import { detectServices } from "../detect/detect.js";
import { diskRepo } from "../detect/repo-view.js";
import { ExitCode, HiltError } from "../errors.js";
import { type ContextHasher, dockerignoreFor } from "../fs/context-digest.js";
import { readInside, resolveInside } from "../fs/untrusted.js";
import type { InstallTrust } from "../generate/common.js";
import { generateForService } from "../generate/generate.js";
import type { ServiceBuild } from "../plan/services.js";

export interface GatheredServices {
  builds: ServiceBuild[];
  warnings: string[];
}

/** How a path is written in a plan: from the root, or absolute when outside it. */
export function fromRoot(root: string, full: string): string {
  const rel = path.relative(root, full);
  if (rel === "") return ".";
  return rel.startsWith("..") || path.isAbsolute(rel) ? full : rel.split(path.sep).join("/");
}

/**
 * Detects the services of repository folders and collects, as data, what planning them needs:
 * the Dockerfile's text (the repository's own, or one generated in memory), the context and its
 * digest. Nothing is written: a backend writes generated Dockerfiles when it builds.
 */
export function gatherServices(
  root: string,
  folders: readonly string[],
  hasher: ContextHasher,
  only?: readonly string[],
  trust: InstallTrust = {},
): GatheredServices {
  const builds: ServiceBuild[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const given of folders) {
    const folder = path.resolve(root, given);
    if (seen.has(folder)) continue;
    seen.add(folder);
    const display = fromRoot(root, folder);
    const view = diskRepo(folder);
    const repoName = path.basename(folder);
    const detected = detectServices(view, repoName);
    warnings.push(...detected.warnings.map((w) => `${given}: ${w}`));
    const services = detected.services.filter(
      (s) => !only || only.length === 0 || only.includes(s.name),
    );
    if (services.length === 0) {
      throw new HiltError("NO_SERVICES", `${given}: no services found`, {
        exitCode: ExitCode.usage,
        hint: "run `hilt detect` on it to see what Hilt looks for",
      });
    }
    for (const service of services) {
      const base = {
        repoName,
        folder: display,
        name: service.name,
        path: service.path,
        role: service.role.value,
        port: service.port?.value ?? null,
      };
      if (service.dockerfile) {
        const dockerfile = service.dockerfile.value;
        // The context the reused Dockerfile expects (compose's build.context, or a folder above).
        const context = resolveInside(folder, service.context.value);
        resolveInside(folder, dockerfile);
        const dockerfileFull = path.join(folder, dockerfile);
        builds.push({
          ...base,
          dockerfile: fromRoot(root, path.join(folder, dockerfile)),
          dockerfileText: readInside(folder, dockerfile),
          context: fromRoot(root, path.join(folder, service.context.value)),
          contextDigest: hasher.digest(context, dockerignoreFor(context, dockerfileFull)),
          generated: false,
        });
        continue;
      }
      const files = generateForService(view, service, "hilt generate --force .", trust);
      const dockerfile = files?.find((f) => f.path.endsWith("Dockerfile"));
      if (!files || !dockerfile) {
        warnings.push(`${given}/${service.path}: language unknown and no Dockerfile; not built`);
        continue;
      }
      const ignore = files.find((f) => f.path.endsWith("dockerignore"))?.content;
      const context = resolveInside(folder, service.context.value);
      builds.push({
        ...base,
        dockerfileText: dockerfile.content,
        ...(ignore !== undefined ? { dockerignoreText: ignore } : {}),
        context: fromRoot(root, path.join(folder, service.context.value)),
        // BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile: the backend writes
        // the generated one there, so it is the one that applies.
        contextDigest: hasher.digest(context, ignore ?? dockerignoreFor(context)),
        generated: true,
      });
    }
  }
  return { builds, warnings };
}
