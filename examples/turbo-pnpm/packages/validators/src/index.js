import { z } from "zod";

export const orderSchema = z.object({
  id: z.string().startsWith("ord_"),
  quantity: z.number().int().positive(),
});
