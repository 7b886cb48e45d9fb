import { writeFileSync } from "node:fs";
import path from "node:path";
import { DETECT_GOLDEN_DIR, detectExample, EXAMPLES } from "../test/golden/detect-golden.js";
import { GOLDEN_DIR, goldenCases, planGolden } from "../test/golden/golden.js";

for (const name of goldenCases()) {
  writeFileSync(
    path.join(GOLDEN_DIR, name, "expected-plan.json"),
    `${JSON.stringify(await planGolden(name), null, 2)}\n`,
  );
  process.stderr.write(`updated test/golden/${name}/expected-plan.json\n`);
}

for (const name of EXAMPLES) {
  writeFileSync(
    path.join(DETECT_GOLDEN_DIR, `${name}.json`),
    `${JSON.stringify(detectExample(name), null, 2)}\n`,
  );
  process.stderr.write(`updated test/golden/detect/${name}.json\n`);
}
