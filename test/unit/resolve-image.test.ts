import { describe, expect, it } from "vitest";
import { HiltError, InvalidConfigError } from "../../src/errors.js";
import type { Diagnostic } from "../../src/model/diagnostics.js";
import { resolveImage, resolveRuntimeImage } from "../../src/runtime/resolve-image.js";
import { catalogFrom } from "../helpers/catalog.js";

const catalog = catalogFrom(`schemaVersion: 1
images:
  base: {from: "debian:12", provides: [shell]}
  nodepy: {from: base, provides: [node, python]}
  claude: {from: nodepy, provides: [claude]}
  codex: {from: nodepy, provides: [codex], repository: agent-codex}
  full: {from: nodepy, provides: [claude, codex, go]}
runtime:
  registry: ghcr.io/acme
  session: full
  task:
    default: claude
    providers: {codex: codex}
`);

describe("runtime selection contract", () => {
  it("session: TTYD_IMAGE, else the catalog's session image", () => {
    expect(resolveImage({ mode: "session", env: { TTYD_IMAGE: "x:1" }, catalog })).toMatchObject({
      image: "x:1",
      source: "TTYD_IMAGE",
    });
    expect(resolveImage({ mode: "session", env: {}, catalog })).toMatchObject({
      image: "ghcr.io/acme/full:latest",
      source: "catalog.runtime.session",
    });
  });

  it("task: TASK_IMAGE_<PROVIDER> → TASK_IMAGE_DEFAULT → TTYD_IMAGE", () => {
    const env = {
      TASK_IMAGE_CODEX: "codex:1",
      TASK_IMAGE_DEFAULT: "default:1",
      TTYD_IMAGE: "ttyd:1",
    };
    expect(resolveImage({ mode: "task", provider: "codex", env, catalog }).source).toBe(
      "TASK_IMAGE_CODEX",
    );
    expect(resolveImage({ mode: "task", provider: "claude", env, catalog }).source).toBe(
      "TASK_IMAGE_DEFAULT",
    );
    expect(
      resolveImage({ mode: "task", provider: "claude", env: { TTYD_IMAGE: "ttyd:1" }, catalog })
        .image,
    ).toBe("ttyd:1");
  });

  it("normalises provider names into the variable name", () => {
    expect(
      resolveImage({ mode: "task", provider: "Open-Code", env: { TASK_IMAGE_OPEN_CODE: "oc:1" } })
        .image,
    ).toBe("oc:1");
  });

  it("task with an empty environment: the catalog's provider, then default, then session", () => {
    expect(resolveImage({ mode: "task", provider: "codex", env: {}, catalog }).image).toBe(
      "ghcr.io/acme/agent-codex:latest",
    );
    expect(resolveImage({ mode: "task", provider: "cursor", env: {}, catalog }).source).toBe(
      "catalog.runtime.task.default",
    );
    expect(resolveImage({ mode: "task", env: {}, catalog, registry: "r.io/x" }).image).toBe(
      "r.io/x/claude:latest",
    );
  });

  it("--needs picks the smallest image providing every capability", () => {
    expect(resolveImage({ mode: "task", needs: ["claude"], env: {}, catalog }).catalogImage).toBe(
      "claude",
    );
    expect(
      resolveImage({ mode: "task", needs: ["claude", "go"], env: {}, catalog }).catalogImage,
    ).toBe("full");
    expect(resolveImage({ mode: "task", needs: ["python"], env: {}, catalog }).catalogImage).toBe(
      "nodepy",
    );
    expect(() => resolveImage({ mode: "task", needs: ["rust"], env: {}, catalog })).toThrow(
      HiltError,
    );
  });

  it("refuses a registry prefix that gives no valid reference (callers other than the CLI)", () => {
    expect(() => resolveImage({ mode: "task", env: {}, catalog, registry: "Bad Host/x" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("says what to set when nothing is configured", () => {
    try {
      resolveImage({ mode: "task", env: {} });
      expect.unreachable();
    } catch (error) {
      expect((error as HiltError).code).toBe("NO_RUNTIME_IMAGE");
      expect((error as HiltError).hint).toMatch(/TASK_IMAGE_DEFAULT/);
    }
  });
});

describe("one fallback policy when the catalog cannot be loaded", () => {
  const problem = (code: string, path = ""): Diagnostic => ({
    code,
    severity: "error",
    file: "catalog.yaml",
    line: 1,
    column: 1,
    path,
    message: "x",
  });
  const failing =
    (...diagnostics: Diagnostic[]) =>
    async () => {
      throw new InvalidConfigError(diagnostics);
    };
  const env = { TTYD_IMAGE: "ttyd:1" };

  it("a missing default catalog: the environment answers alone", async () => {
    const load = failing(problem("FILE_NOT_FOUND"));
    await expect(
      resolveRuntimeImage({ mode: "session", env }, { load, named: false }),
    ).resolves.toMatchObject({ image: "ttyd:1", source: "TTYD_IMAGE" });
  });

  it("a catalog that loads supplies the defaults", async () => {
    await expect(
      resolveRuntimeImage({ mode: "task", env: {} }, { load: async () => catalog, named: false }),
    ).resolves.toMatchObject({ catalogImage: "claude" });
  });

  it("a named catalog that is missing is an error, even when the environment answers", async () => {
    const load = failing(problem("FILE_NOT_FOUND"));
    await expect(
      resolveRuntimeImage({ mode: "session", env }, { load, named: true }),
    ).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
  });

  it("an invalid catalog is never skipped silently", async () => {
    for (const load of [
      failing(problem("UNKNOWN_PARENT", "images.a.from")),
      // A missing Dockerfile is also FILE_NOT_FOUND, but inside the catalog: not a missing catalog.
      failing(problem("FILE_NOT_FOUND", "images.a.dockerfile")),
    ])
      await expect(
        resolveRuntimeImage({ mode: "session", env }, { load, named: false }),
      ).rejects.toBeInstanceOf(InvalidConfigError);
  });

  it("a needs query without a catalog says so", async () => {
    const load = failing(problem("FILE_NOT_FOUND"));
    await expect(
      resolveRuntimeImage({ mode: "task", needs: ["go"], env }, { load, named: false }),
    ).rejects.toMatchObject({ code: "CATALOG_REQUIRED" });
  });
});
