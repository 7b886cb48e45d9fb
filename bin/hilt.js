#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/, built by `npm run build`). Node 22.1+ keeps a compile cache
// of it, so later starts skip most of the parsing; older Nodes simply lack the function.
import module from "node:module";

module.enableCompileCache?.();
const { main } = await import("../dist/bundle/hilt.mjs");
process.exitCode = await main(process.argv);
