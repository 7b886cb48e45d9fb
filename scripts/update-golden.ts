import { writeFileSync } from "node:fs";
import path from "node:path";
import { GOLDEN_DIR, goldenCases, planGolden } from "../test/golden/golden.js";

for (const name of goldenCases()) {
  writeFileSync(
    path.join(GOLDEN_DIR, name, "expected-plan.json"),
    `${JSON.stringify(planGolden(name), null, 2)}\n`,
  );
  process.stderr.write(`updated test/golden/${name}/expected-plan.json\n`);
}
