// Bundles the CLI into dist/bundle/ (run by `npm run build`, after tsc has built the library).
// One entry file holds what every command needs, so a start reads a few files instead of a few
// hundred modules; what only some commands use (the MCP server and its SDK) is split into a
// chunk loaded by their dynamic import(). The Dagger SDK stays an external package, imported
// only when the dagger engine is chosen. The bundle sits two folders under the package root, as
// src/cli/main.ts does, so its `new URL("../../package.json", import.meta.url)` still finds
// Hilt's version.
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

// The composite action (action.yml) installs no dev dependencies: it names an esbuild it
// installed on its own.
const { build } = process.env.HILT_ESBUILD
  ? await import(
      pathToFileURL(createRequire(import.meta.url).resolve(process.env.HILT_ESBUILD)).href
    )
  : await import("esbuild");

const root = path.resolve(import.meta.dirname, "..");

/**
 * Zod's `z` namespace carries every locale's error messages (about 300 kB, a third of what each
 * start parses). Hilt uses none (zod registers English on its own), so the namespace's
 * `locales` export is bundled empty.
 */
const zodWithoutLocales = {
  name: "zod-without-locales",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: "zod-locales", namespace: "hilt-empty" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "hilt-empty" }, () => ({ contents: "export {};" }));
  },
};
// HILT_BUNDLE_DIR: somewhere else (bench/startup.ts measures a bundle without touching dist/).
const outdir = path.resolve(root, process.env.HILT_BUNDLE_DIR ?? "dist/bundle");
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { hilt: "src/cli/main.ts" },
  outdir,
  outExtension: { ".js": ".mjs" },
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  // better-sqlite3 (hilt serve's embedded queue) loads its compiled addon from its own folder.
  // pg's optional transports (pg-native, pg-cloudflare) are loaded only when asked for; an
  // install without optional dependencies (the composite action's) has neither.
  external: ["@dagger.io/dagger", "better-sqlite3", "pg-native", "pg-cloudflare"],
  plugins: [zodWithoutLocales],
  // Smaller files parse faster; names are kept so that a bug's stack trace stays readable.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "eof",
  // Bundled CommonJS packages (commander, ajv) call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __hiltCreateRequire } from "node:module"; const require = __hiltCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});

// hilt serve's dashboard (src/serve/dashboard/routes.ts) reads its static files from dashboard/
// beside the bundle.
cpSync(path.join(root, "src/serve/dashboard/static"), path.join(outdir, "dashboard"), {
  recursive: true,
});
