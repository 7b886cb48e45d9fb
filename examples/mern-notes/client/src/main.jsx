import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

function App() {
  const [notes, setNotes] = useState([]);
  useEffect(() => {
    fetch("/api/notes")
      .then((r) => r.json())
      .then(setNotes)
      .catch(() => setNotes([]));
  }, []);
  return (
    <main>
      <h1>MERN Notes</h1>
      <ul>
        {notes.map((n) => (
          <li key={n._id}>{n.title}</li>
        ))}
      </ul>
    </main>
  );
}

createRoot(document.getElementById("root")).render(<App />);
