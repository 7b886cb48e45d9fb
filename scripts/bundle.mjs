// Bundles the CLI into dist/bundle/ (run by `npm run build`, after tsc has built the library).
// hilt.cjs holds the whole CLI in one CommonJS file, so that bin/hilt.js can run it through a V8
// code cache (src/cli/code-cache.ts): Node 20 can cache the compiled code of a vm.Script, not
// of an ES module. What only some commands use (the MCP server, hilt serve) is still evaluated
// only when their command imports it; the Dagger SDK stays an external package, imported only
// when the dagger engine is chosen. start.cjs is that loader, bundled on its own. The bundle
// sits two folders under the package root, as src/cli/main.ts does, so its
// `new URL("../../package.json", import.meta.url)` still finds Hilt's version.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const common = {
  absWorkingDir: root,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20.19",
  // Smaller files parse faster; names are kept so that a bug's stack trace stays readable.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "eof",
  // ASCII only (esbuild's default, said here because the loader relies on it to read fast).
  charset: "ascii",
  logLevel: "warning",
};

// better-sqlite3 (hilt serve's embedded queue) loads its compiled addon from its own folder.
// pg's optional transports (pg-native, pg-cloudflare) are loaded only when asked for; an
// install without optional dependencies (the composite action's) has neither.
const external = ["@dagger.io/dagger", "better-sqlite3", "pg-native", "pg-cloudflare"];
const cli = path.join(outdir, "hilt.cjs");
await build({
  ...common,
  entryPoints: { hilt: "src/cli/main.ts" },
  outfile: cli,
  external,
  plugins: [zodWithoutLocales],
  // The sources are ES modules: strict, as they were written for, and import.meta.url is the
  // bundle's own URL. __hiltImport: see below.
  banner: {
    js:
      '"use strict"; const __hiltImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' +
      ' const __hiltImport = require("./import.cjs");',
  },
  define: { "import.meta.url": "__hiltImportMetaUrl" },
});
/**
 * An import() in a vm.Script needs Node's experimental vm loader option (which warns on
 * stderr), so the bundle's dynamic imports of external packages go through import.cjs, a plain
 * CommonJS file beside it: the same resolution, from the same folder.
 */
let text = readFileSync(cli, "utf8");
for (const name of external) text = text.replaceAll(`import("${name}")`, `__hiltImport("${name}")`);
const left = /(?<![\w$.])import\(/.exec(text);
if (left) {
  throw new Error(
    `hilt.cjs: a dynamic import scripts/bundle.mjs does not handle, near ${text.slice(left.index, left.index + 60)}`,
  );
}
writeFileSync(cli, text);
writeFileSync(
  path.join(outdir, "import.cjs"),
  '"use strict";\n\nmodule.exports = (specifier) => import(specifier);\n',
);
await build({
  ...common,
  entryPoints: { start: "src/cli/start.ts" },
  outfile: path.join(outdir, "start.cjs"),
});
// For whoever imports the bundle as an ES module (and the composite action, which looks for it).
writeFileSync(
  path.join(outdir, "hilt.mjs"),
  'import cli from "./hilt.cjs";\n\nexport const main = cli.main;\n',
);

// hilt serve's dashboard (src/serve/dashboard/routes.ts) reads its static files from dashboard/
// beside the bundle.
cpSync(path.join(root, "src/serve/dashboard/static"), path.join(outdir, "dashboard"), {
  recursive: true,
});
