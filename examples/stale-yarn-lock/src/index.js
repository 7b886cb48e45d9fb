const express = require("express");
const helmet = require("helmet");
const { nanoid } = require("nanoid");

const app = express();
app.use(helmet());
app.use(express.json());

const links = new Map();

app.get("/", (_req, res) => res.json({ name: "link-shortener", links: links.size }));

app.post("/links", (req, res) => {
  const id = nanoid(7);
  links.set(id, req.body.url);
  res.status(201).json({ id });
});

app.get("/:id", (req, res) => {
  const url = links.get(req.params.id);
  if (!url) return res.status(404).json({ error: "not found" });
  res.redirect(url);
});

const port = process.env.PORT || 8000;
app.listen(port, () => console.log(`link-shortener on :${port}`));
