import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const intents = new Map();

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("payments ok");
    return;
  }
  if (req.method === "POST" && req.url === "/intents") {
    const id = randomUUID();
    intents.set(id, { id, status: "requires_confirmation" });
    res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(intents.get(id)));
    return;
  }
  res.writeHead(404).end();
});

server.listen(Number(process.env.PAYMENTS_PORT ?? 4100), () => console.log("payments up"));
