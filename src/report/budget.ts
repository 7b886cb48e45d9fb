import { HiltError } from "../errors.js";
import { formatBytes } from "./bytes.js";
import type { ImageSize } from "./result-schema.js";

/** A catalog image's size budget, in compressed bytes. */
export interface SizeBudget {
  maxSize: number;
  onExceed: "fail" | "warn";
}

/** The largest platform's compressed size, and which platform that is. */
function largest(size: ImageSize): { bytes: number; platform?: string } | undefined {
  const entries = Object.entries(size.platforms ?? {});
  if (entries.length === 0)
    return size.compressed === undefined ? undefined : { bytes: size.compressed };
  const [platform, value] = entries.reduce((a, b) => (b[1].compressed > a[1].compressed ? b : a));
  return { bytes: value.compressed, platform };
}

export interface BudgetVerdict {
  size: ImageSize;
  /** A failure to throw (overBudget: fail), or a line to warn with. */
  error?: HiltError;
  warning?: string;
}

/** Checks an image's measured size against its catalog budget. Pure: the caller acts on it. */
export function checkBudget(input: {
  name: string;
  catalogFile: string;
  size: ImageSize;
  budget: SizeBudget;
}): BudgetVerdict {
  const { name, catalogFile, budget } = input;
  const where = `${catalogFile}: images.${name}.maxSize`;
  const top = largest(input.size);
  const exceeded = top === undefined ? null : top.bytes > budget.maxSize;
  const size: ImageSize = {
    ...input.size,
    budget: { maxSize: budget.maxSize, exceeded, onExceed: budget.onExceed },
  };
  if (top === undefined)
    return {
      size,
      warning: `${where}: not checked for ${name}: its compressed size is known only once it is pushed to a registry`,
    };
  if (!exceeded) return { size };
  const message = `${where}: ${name} weighs ${formatBytes(top.bytes)} compressed${top.platform ? ` (${top.platform})` : ""}, over its budget of ${formatBytes(budget.maxSize)}`;
  if (budget.onExceed === "warn") return { size, warning: message };
  return {
    size,
    error: new HiltError("SIZE_BUDGET_EXCEEDED", message, {
      hint: `make ${name} smaller (fewer packages; remove caches and docs in the step that makes them), raise maxSize in ${catalogFile}, or set overBudget: warn`,
      details: { size },
    }),
  };
}
