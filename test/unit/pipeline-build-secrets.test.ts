import path from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../src/app/plan.js";
import { tempRepo } from "../helpers/cli.js";

const service = {
  "svc/package.json": JSON.stringify({
    name: "svc",
    scripts: { start: "node index.js" },
    dependencies: { ms: "2.1.3" },
  }),
  "svc/package-lock.json": "{}",
  "svc/index.js": "",
  "catalog.yaml": "schemaVersion: 1\nimages: {}\n",
};

function pipeline(buildSecrets: boolean | undefined): string {
  const line = buildSecrets === undefined ? "" : `buildSecrets: ${buildSecrets}\n`;
  return `schemaVersion: 1\nsources:\n  - path: svc\n${line}`;
}

async function generatedDockerfile(root: string, options: { buildSecrets?: boolean } = {}) {
  const result = await plan({ root, pipeline: "p", offline: true, ...options });
  const build = result.graph.nodes[0]?.build;
  return build?.type === "dockerfile" ? (build.generated?.dockerfile ?? "") : "";
}

describe("the pipeline's buildSecrets", () => {
  it("is off by default: install scripts stay off for the sources' repositories", async () => {
    const root = tempRepo({ ...service, "pipelines/p.yaml": pipeline(undefined) });
    expect(await generatedDockerfile(root)).toContain("--ignore-scripts");
  });

  it("trusts the sources when true", async () => {
    const root = tempRepo({ ...service, "pipelines/p.yaml": pipeline(true) });
    expect(await generatedDockerfile(root)).not.toContain("--ignore-scripts");
  });

  it("yields to the caller's explicit choice", async () => {
    const root = tempRepo({ ...service, "pipelines/p.yaml": pipeline(true) });
    const text = await generatedDockerfile(path.resolve(root), { buildSecrets: false });
    expect(text).toContain("--ignore-scripts");
  });
});
