import { z } from "zod";

export const expenseSchema = z.object({
  label: z.string().min(1),
  cents: z.number().int().nonnegative(),
});

export type Expense = z.infer<typeof expenseSchema>;
