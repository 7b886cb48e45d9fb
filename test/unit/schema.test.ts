import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { jsonSchemas } from "../../src/schemas.js";

describe("committed JSON Schemas", () => {
  it.each(Object.entries(jsonSchemas()))(
    "schema/%s is up to date (npm run schema)",
    (file, schema) => {
      const committed = JSON.parse(
        readFileSync(new URL(`../../schema/${file}`, import.meta.url), "utf8"),
      );
      expect(committed).toEqual(schema);
    },
  );

  it("catalog.yaml points editors at the schema", () => {
    const first = readFileSync(new URL("../../catalog.yaml", import.meta.url), "utf8").split(
      "\n",
    )[0];
    expect(first).toBe("# yaml-language-server: $schema=./schema/catalog.schema.json");
  });
});
