export interface Post {
  slug: string;
  title: string;
  body: string;
}

export const posts: Post[] = [
  { slug: "hello-world", title: "Hello, world", body: "First post on the new blog." },
  { slug: "why-rss", title: "Why I still use RSS", body: "Feeds never went away." },
];
