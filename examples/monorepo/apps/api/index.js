const http = require("node:http");
const { greeting } = require("@mono/shared");

const port = process.env.PORT || 7000;
http
  .createServer((_req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ message: greeting("monorepo") }));
  })
  .listen(port);
