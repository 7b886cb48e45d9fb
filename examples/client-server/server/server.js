const express = require("express");

const app = express();
app.get("/api/hello", (_req, res) => res.json({ message: "hello from the server" }));
app.get("/health", (_req, res) => res.json({ ok: true }));

const port = process.env.PORT || 4000;
app.listen(port, () => console.log(`server listening on ${port}`));
