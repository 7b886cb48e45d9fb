import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

type Expense = { label: string; cents: number };

function App() {
  const [expenses, setExpenses] = useState<Expense[]>([]);
  useEffect(() => {
    fetch("/api/expenses")
      .then((r) => r.json())
      .then(setExpenses);
  }, []);
  return (
    <main>
      <h1>Expenses</h1>
      <ul>
        {expenses.map((e) => (
          <li key={e.label}>
            {e.label}: {(e.cents / 100).toFixed(2)}
          </li>
        ))}
      </ul>
    </main>
  );
}

const root = document.getElementById("root");
if (root) createRoot(root).render(<App />);
