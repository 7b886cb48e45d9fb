#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/, built by `npm run build`) through its loader, which keeps
// a V8 code cache of it in the user's cache folder (src/cli/code-cache.ts). CommonJS (see
// package.json here): an ES module entry would cost every start Node's ESM loader.
"use strict";

const path = require("node:path");

require("../dist/bundle/start.cjs")
  .start(process.argv, path.join(__dirname, "../dist/bundle"))
  .then((code) => {
    process.exitCode = code;
  });
