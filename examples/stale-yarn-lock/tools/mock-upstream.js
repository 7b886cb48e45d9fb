// Local stand-in for the analytics upstream, for `node tools/mock-upstream.js` during development.
const http = require("node:http");

const PORT = process.env.PORT || 5000;
http
  .createServer((_req, res) => res.end("ok"))
  .listen(PORT, () => console.log(`mock upstream on ${PORT}`));
