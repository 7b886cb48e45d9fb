import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

function App() {
  const [message, setMessage] = useState("loading…");
  useEffect(() => {
    fetch("/api/hello")
      .then((r) => r.json())
      .then(
        (d) => setMessage(d.message),
        () => setMessage("server unreachable"),
      );
  }, []);
  return <h1>{message}</h1>;
}

createRoot(document.getElementById("root")).render(<App />);
