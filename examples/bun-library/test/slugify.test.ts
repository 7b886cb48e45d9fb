import { expect, test } from "bun:test";
import { slugify } from "../src";

test("strips accents and punctuation", () => {
  expect(slugify("Crème Brûlée, à la carte!")).toBe("creme-brulee-a-la-carte");
});
