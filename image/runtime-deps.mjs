// Copies the packages the image loads from node_modules at run time into one folder: the CLI's
// bundle (dist/bundle) holds every other dependency, so only its externals and what they need
// are copied, without their type declarations, source maps, docs or build leftovers.
// Usage: npm query '<selector>' | node image/runtime-deps.mjs TO_DIR
// (stdin: npm query's JSON; each package is copied from its `location`, under the current folder.)
import { cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** Packages whose run time needs only a few of their files (paths relative to the package). */
const ONLY = {
  // The compiled addon, loaded through `bindings`; its C sources and objects stay behind.
  "better-sqlite3": ["package.json", "LICENSE", "lib", "build/Release/better_sqlite3.node"],
  // The Dagger SDK imports the compiler's API; its CLIs, server and translations go unused.
  typescript: ["package.json", "LICENSE.txt", "ThirdPartyNoticeText.txt", "lib/typescript.js"],
};

/** Files no `import` or `require` reads. */
const UNREAD = /(\.d\.[cm]?ts|\.map|\.md|\.markdown|\.tsbuildinfo)$/i;

const to = process.argv[2];
if (!to) throw new Error("usage: node image/runtime-deps.mjs TO_DIR (npm query JSON on stdin)");
const packages = JSON.parse(readFileSync(0, "utf8"));
const locations = [...new Set(packages.map((p) => p.location))].sort();

for (const location of locations) {
  const from = path.resolve(location);
  const dest = path.resolve(to, location);
  const name = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8")).name;
  const entries = ONLY[name] ?? readdirSync(from).filter((e) => e !== "node_modules");
  mkdirSync(dest, { recursive: true });
  for (const entry of entries) {
    // Nested node_modules are packages of their own: copied when the query lists them.
    cpSync(path.join(from, entry), path.join(dest, entry), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) =>
        !UNREAD.test(src) && !path.relative(from, src).split(path.sep).includes("node_modules"),
    });
  }
}
console.log(`${locations.length} packages copied to ${to}`);
