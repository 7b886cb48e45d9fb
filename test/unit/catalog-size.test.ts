import { describe, expect, it } from "vitest";
import { parseByteSize } from "../../src/model/catalog-schema.js";
import { validateCatalogText } from "../../src/model/load-catalog.js";

const withImage = (fields: string) => `schemaVersion: 1
images:
  base:
    from: debian:12
${fields}
`;

describe("catalog maxSize and overBudget", () => {
  it("accepts sizes with units or as bytes", () => {
    for (const value of ["300MB", '"1.5 GiB"', "120000000", "64KiB"]) {
      const result = validateCatalogText("catalog.yaml", withImage(`    maxSize: ${value}`));
      expect(result.errors).toEqual([]);
    }
    expect(parseByteSize("300MB")).toBe(300e6);
    expect(parseByteSize("1.5GiB")).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize(1048576)).toBe(1048576);
  });

  it("rejects what is not a size, with its line, the field and how to write one", () => {
    for (const value of ["big", "-5", "0", "300 furlongs", "1.5"]) {
      const result = validateCatalogText("catalog.yaml", withImage(`    maxSize: ${value}`));
      const [error] = result.errors;
      expect(error?.code, value).toBe("INVALID_SIZE");
      expect(error?.path).toBe("images.base.maxSize");
      expect(error?.line).toBe(5);
      expect(error?.hint).toContain("300MB");
    }
  });

  it("takes fail or warn for overBudget, and only with a maxSize", () => {
    const ok = validateCatalogText(
      "catalog.yaml",
      withImage("    maxSize: 1GB\n    overBudget: warn"),
    );
    expect(ok.errors).toEqual([]);
    expect(ok.value?.images.base?.overBudget).toBe("warn");
    const bad = validateCatalogText(
      "catalog.yaml",
      withImage("    maxSize: 1GB\n    overBudget: explode"),
    );
    expect(bad.errors[0]?.path).toBe("images.base.overBudget");
    const alone = validateCatalogText("catalog.yaml", withImage("    overBudget: warn"));
    expect(alone.errors[0]?.code).toBe("NO_MAX_SIZE");
    expect(alone.errors[0]?.hint).toContain("add maxSize");
  });

  it("gives every image of the repository's catalog a budget", async () => {
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(new URL("../../catalog.yaml", import.meta.url), "utf8");
    const result = validateCatalogText("catalog.yaml", text);
    expect(result.errors).toEqual([]);
    const images = Object.entries(result.value?.images ?? {}).filter(([name]) => name !== "hilt");
    expect(images.length).toBeGreaterThan(0);
    for (const [name, image] of images) expect(image.maxSize, name).toBeDefined();
  });
});

describe("pipeline mirrors", () => {
  const catalogText = `schemaVersion: 1
images:
  base:
    from: debian:12
    steps:
      - id: fetch-tool
        run: curl -fsSLo /usr/local/bin/tool https://example.com/tool
      - run: echo kept
`;

  it("replaces a named step, labels the image and changes its input hash", async () => {
    const { withMirrors, MIRRORED_LABEL } = await import("../../src/model/catalog-rules.js");
    const { catalogFrom, planOf } = await import("../helpers/catalog.js");
    const catalog = catalogFrom(catalogText);
    const mirrored = withMirrors(catalog, { "base.fetch-tool": { run: "true" } });
    expect(mirrored.replaced).toEqual(["base.fetch-tool"]);
    expect(mirrored.unknown).toEqual([]);
    const steps = mirrored.catalog.images.base?.steps ?? [];
    expect(steps[0]).toEqual({ id: "fetch-tool", run: "true" });
    expect(steps[1]).toEqual({ run: "echo kept" });
    expect(mirrored.catalog.images.base?.labels?.[MIRRORED_LABEL]).toBe("fetch-tool");
    // The catalog given is not changed.
    expect(catalog.images.base?.steps?.[0]?.run).toContain("curl");
    const real = planOf(catalogText).nodes[0];
    const { stringify } = await import("yaml");
    const mirroredText = stringify(mirrored.catalog);
    expect(planOf(mirroredText).nodes[0]?.inputHash).not.toBe(real?.inputHash);
  });

  it("reports mirror keys that name no step", async () => {
    const { withMirrors } = await import("../../src/model/catalog-rules.js");
    const { catalogFrom } = await import("../helpers/catalog.js");
    const mirrored = withMirrors(catalogFrom(catalogText), { "base.nope": { run: "true" } });
    expect(mirrored.unknown).toEqual(["base.nope"]);
  });

  it("rejects a step id that is not lowercase words", () => {
    const result = validateCatalogText(
      "catalog.yaml",
      "schemaVersion: 1\nimages:\n  a:\n    from: debian:12\n    steps:\n      - { id: Bad_Id, run: x }\n",
    );
    expect(result.errors[0]?.path).toBe("images.a.steps.0.id");
  });
});
