const http = require("node:http");
const { checks } = require("./checks");

const port = Number(process.env.PORT) || 3000;

const server = http.createServer((req, res) => {
  if (req.url === "/" || req.url === "/status") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ service: "uptime-pinger", checks: checks() }));
    return;
  }
  res.writeHead(404).end();
});

server.listen(port, () => console.log(`uptime-pinger listening on ${port}`));
