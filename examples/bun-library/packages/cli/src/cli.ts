#!/usr/bin/env bun
import { slugify } from "tinyslug";

const text = Bun.argv.slice(2).join(" ");
if (!text) {
  console.error("usage: tinyslug TEXT");
  process.exit(2);
}
console.log(slugify(text));
