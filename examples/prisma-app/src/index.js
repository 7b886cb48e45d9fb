const express = require("express");
const { PrismaClient } = require("@prisma/client");

const prisma = new PrismaClient();
const app = express();
app.use(express.json());

app.get("/health", (_req, res) => res.json({ ok: true }));

app.get("/todos", async (_req, res) => {
  res.json(await prisma.todo.findMany({ orderBy: { createdAt: "desc" } }));
});

app.post("/todos", async (req, res) => {
  res.status(201).json(await prisma.todo.create({ data: { title: req.body.title } }));
});

const PORT = process.env.PORT || 3000;
app.listen(PORT, () => console.log(`todo-prisma listening on ${PORT}`));
