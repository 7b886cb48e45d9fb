const router = require("express").Router();
const Note = require("../models/Note");

router.get("/", async (_req, res) => {
  try {
    res.json(await Note.find().sort({ createdAt: -1 }));
  } catch (err) {
    res.status(503).json({ error: err.message });
  }
});

router.post("/", async (req, res) => {
  try {
    res.status(201).json(await Note.create(req.body));
  } catch (err) {
    res.status(400).json({ error: err.message });
  }
});

module.exports = router;
