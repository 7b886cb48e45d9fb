import type { Metadata } from "next";

export const metadata: Metadata = { title: "Notes from the shed", description: "A small blog" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
