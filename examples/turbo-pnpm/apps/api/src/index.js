import { orderSchema } from "@acme/validators";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
const orders = [];

app.get("/", (c) => c.json({ service: "acme-api", orders: orders.length }));
app.post("/orders", async (c) => {
  const parsed = orderSchema.safeParse(await c.req.json());
  if (!parsed.success) return c.json(parsed.error.flatten(), 400);
  orders.push(parsed.data);
  return c.json(parsed.data, 201);
});

const port = Number(process.env.PORT ?? 4000);
serve({ fetch: app.fetch, port }, () => console.log(`acme-api on :${port}`));
