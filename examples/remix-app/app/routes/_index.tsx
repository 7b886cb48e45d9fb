import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";

const JOKES = [
  "I told my computer I needed a break; it said no problem, it will go to sleep.",
  "There are 10 kinds of people: those who read binary and those who do not.",
];

export const loader = async () => json({ joke: JOKES[new Date().getSeconds() % JOKES.length] });

export default function Index() {
  const { joke } = useLoaderData<typeof loader>();
  return (
    <main>
      <h1>Remix Jokes</h1>
      <p>{joke}</p>
    </main>
  );
}
