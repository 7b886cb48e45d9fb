#!/usr/bin/env node
// What a program that builds images through Hilt does (an MCP server, a web back end): spawn
// `hilt <command> --json`, log Hilt's stderr verbosely, enforce a timeout, parse stdout and
// validate it against the published JSON Schema before trusting it.
//
//   node examples/spawn-client/spawn-client.mjs [--timeout SECONDS] -- build-all --push ttl.sh
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const hiltBin = process.env.HILT_BIN ?? path.join(here, "../../bin/hilt.js");
const schema = JSON.parse(readFileSync(path.join(here, "../../schema/result.schema.json"), "utf8"));

export function runHilt(
  args,
  { timeoutMs = 15 * 60_000, cwd = process.cwd(), env = process.env } = {},
) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [hiltBin, ...args, "--json"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks = [];
    child.stdout.on("data", (d) => chunks.push(d));
    child.stderr.on("data", (d) => process.stderr.write(`[hilt] ${d}`));
    const timer = setTimeout(() => {
      process.stderr.write(`[client] timeout after ${timeoutMs} ms, sending SIGTERM\n`);
      child.kill("SIGTERM");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(chunks).toString("utf8");
      let document;
      try {
        document = JSON.parse(stdout);
      } catch {
        reject(
          new Error(
            `hilt printed something that is not JSON (exit ${code}, signal ${signal}): ${stdout.slice(0, 200)}`,
          ),
        );
        return;
      }
      const validate = new Ajv2020({ strict: false }).compile(schema);
      if (!validate(document)) {
        reject(
          new Error(
            `hilt's JSON does not match result.schema.json: ${JSON.stringify(validate.errors)}`,
          ),
        );
        return;
      }
      resolve({ exitCode: code, result: document });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const split = argv.indexOf("--");
  const own = split >= 0 ? argv.slice(0, split) : [];
  const hiltArgs = split >= 0 ? argv.slice(split + 1) : argv;
  const timeoutIndex = own.indexOf("--timeout");
  const timeoutMs = timeoutIndex >= 0 ? Number(own[timeoutIndex + 1]) * 1000 : undefined;
  try {
    const { exitCode, result } = await runHilt(hiltArgs, timeoutMs ? { timeoutMs } : {});
    process.stderr.write(
      `[client] hilt exited ${exitCode}; ok=${result.ok}; ${result.images.length} image(s)\n`,
    );
    for (const image of result.images)
      process.stdout.write(
        `${image.name}\t${image.status}\t${image.refs[0] ?? "-"}\t${image.digest ?? "-"}\n`,
      );
    if (result.error)
      process.stdout.write(`error\t${result.error.code}\t${result.error.message}\n`);
    process.exitCode = exitCode ?? 1;
  } catch (error) {
    process.stderr.write(`[client] ${error.message}\n`);
    process.exitCode = 1;
  }
}
