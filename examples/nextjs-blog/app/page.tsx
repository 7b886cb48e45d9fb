import Link from "next/link";
import { posts } from "@/lib/posts";

export const dynamic = "force-dynamic";

export default function Home() {
  return (
    <main>
      <h1>Notes from the shed</h1>
      <ul>
        {posts.map((p) => (
          <li key={p.slug}>
            <Link href={`/posts/${p.slug}`}>{p.title}</Link>
          </li>
        ))}
      </ul>
    </main>
  );
}
