import { z } from "zod";
import { catalogSchema } from "./model/catalog-schema.js";
import { pipelineSchema } from "./model/pipeline-schema.js";
import { planSchema } from "./plan/plan-schema.js";
import { resultSchema } from "./report/result-schema.js";

/** The committed JSON Schemas, by file name under schema/. A test keeps them in step. */
export function jsonSchemas(): Record<string, unknown> {
  const make = (schema: z.ZodType, id: string, io: "input" | "output") => ({
    ...z.toJSONSchema(schema, { io, unrepresentable: "any" }),
    $id: `https://hilt.dev/schema/${id}`,
  });
  return {
    "catalog.schema.json": make(catalogSchema, "catalog.schema.json", "input"),
    "pipeline.schema.json": make(pipelineSchema, "pipeline.schema.json", "input"),
    "plan.schema.json": make(planSchema, "plan.schema.json", "output"),
    "result.schema.json": make(resultSchema, "result.schema.json", "output"),
  };
}
