import { findDaggerCli, hasDaggerSession } from "../../src/engine/dagger/locate.js";
import { engineAnswers } from "../../src/engine/dagger/session.js";
import { describeConformance } from "./conformance.js";

// A CLI alone is not an engine: the suite runs only where one answers (CI has none).
const engine =
  hasDaggerSession(process.env) ||
  (findDaggerCli(process.env) !== undefined && (await engineAnswers(process.env)));
if (!engine) {
  console.warn(
    "dagger backend conformance NOT RUN: no Dagger engine answers here (no `dagger run` session, no dagger CLI with a reachable engine)",
  );
}

// The docker suite's cases on the dagger backend: counted as skipped, never passed, where no
// engine can be reached.
describeConformance("dagger", engine);
