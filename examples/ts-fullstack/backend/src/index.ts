import express from "express";
import { type Expense, expenseSchema } from "./schema.js";

const app = express();
app.use(express.json());

const expenses: Expense[] = [{ label: "Coffee beans", cents: 1450 }];

app.get("/api/expenses", (_req, res) => {
  res.json(expenses);
});

app.post("/api/expenses", (req, res) => {
  const parsed = expenseSchema.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json(parsed.error.flatten());
    return;
  }
  expenses.push(parsed.data);
  res.status(201).json(parsed.data);
});

const port = Number(process.env.PORT ?? 3001);
app.listen(port, () => console.log(`expense-api listening on http://localhost:${port}`));
