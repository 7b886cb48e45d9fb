const fastify = require("fastify")();

fastify.get("/", async () => ({ service: "pnpm-service", ok: true }));

fastify.listen({ port: Number(process.env.PORT ?? 8081), host: "0.0.0.0" }).catch((err) => {
  console.error(err);
  process.exit(1);
});
