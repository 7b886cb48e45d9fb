import { useState } from "react";

const HABITS = ["Read 20 pages", "Walk 8k steps", "No phone after 22:00"];

export default function App() {
  const [done, setDone] = useState({});
  return (
    <main className="App">
      <h1>Habit Tracker</h1>
      {HABITS.map((habit) => (
        <label key={habit}>
          <input
            type="checkbox"
            checked={Boolean(done[habit])}
            onChange={() => setDone({ ...done, [habit]: !done[habit] })}
          />
          {habit}
        </label>
      ))}
    </main>
  );
}
