import { Hono } from "hono";
import { flags } from "./flags";

const app = new Hono();

app.get("/", (c) => c.text("feature-flags ok"));
app.get("/flags", (c) => c.json(flags));
app.get("/flags/:key", (c) => {
  const flag = flags[c.req.param("key")];
  return flag === undefined ? c.notFound() : c.json({ enabled: flag });
});

export default {
  port: Number(Bun.env.PORT ?? 3030),
  fetch: app.fetch,
};
