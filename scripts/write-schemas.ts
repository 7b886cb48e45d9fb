import { writeFileSync } from "node:fs";
import { jsonSchemas } from "../src/schemas.js";

for (const [file, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(
    new URL(`../schema/${file}`, import.meta.url),
    `${JSON.stringify(schema, null, 2)}\n`,
  );
  process.stderr.write(`wrote schema/${file}\n`);
}
