import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { detectServices } from "../detect/detect.js";
import { diskRepo } from "../detect/repo-view.js";
import { ExitCode, HiltError } from "../errors.js";
import { contextDigest } from "../fs/context-digest.js";
import { generateForService } from "../generate/generate.js";
import type { ServiceBuild } from "../plan/services.js";

export interface PreparedServices {
  builds: ServiceBuild[];
  warnings: string[];
  cleanup: () => Promise<void>;
}

/**
 * Detects the services of repository folders and gives each a Dockerfile: its own, or one
 * generated into a temporary folder; a build never writes into the user's tree.
 */
export async function prepareServices(
  folders: readonly string[],
  only?: readonly string[],
): Promise<PreparedServices> {
  const temp = await mkdtemp(path.join(tmpdir(), "hilt-services-"));
  const builds: ServiceBuild[] = [];
  const warnings: string[] = [];
  try {
    for (const folder of folders) {
      const root = path.resolve(folder);
      const view = diskRepo(root);
      const repoName = path.basename(root);
      const detected = detectServices(view, repoName);
      warnings.push(...detected.warnings.map((w) => `${folder}: ${w}`));
      const services = detected.services.filter(
        (s) => !only || only.length === 0 || only.includes(s.name),
      );
      if (services.length === 0) {
        throw new HiltError("NO_SERVICES", `${folder}: no services found`, {
          exitCode: ExitCode.usage,
          hint: "run `hilt detect` on it to see what Hilt looks for",
        });
      }
      for (const service of services) {
        const contextPath = path.join(
          root,
          service.dockerfile ? service.path : service.context.value,
        );
        let dockerfilePath: string;
        let dockerfileText: string;
        let ignore: string | undefined;
        if (service.dockerfile) {
          dockerfilePath = path.join(root, service.dockerfile.value);
          dockerfileText = await readFile(dockerfilePath, "utf8");
        } else {
          const files = generateForService(view, service, "hilt generate --force .");
          const dockerfile = files?.find((f) => f.path.endsWith("Dockerfile"));
          if (!files || !dockerfile) {
            warnings.push(
              `${folder}/${service.path}: language unknown and no Dockerfile; not built`,
            );
            continue;
          }
          const dir = path.join(temp, `${repoName}-${service.name}`);
          await mkdir(dir, { recursive: true });
          dockerfilePath = path.join(dir, "Dockerfile");
          dockerfileText = dockerfile.content;
          ignore = files.find((f) => f.path.endsWith("dockerignore"))?.content;
          await writeFile(dockerfilePath, dockerfileText);
          // BuildKit reads <Dockerfile>.dockerignore beside a Dockerfile given with -f.
          if (ignore) await writeFile(`${dockerfilePath}.dockerignore`, ignore);
        }
        builds.push({
          repoName,
          name: service.name,
          path: service.path,
          role: service.role.value,
          port: service.port?.value ?? null,
          dockerfilePath,
          dockerfileText,
          contextPath,
          contextDigest: await contextDigest(contextPath, ignore),
          generated: !service.dockerfile,
        });
      }
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { builds, warnings, cleanup: () => rm(temp, { recursive: true, force: true }) };
}
