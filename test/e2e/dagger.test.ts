import { findDaggerCli, hasDaggerSession } from "../../src/engine/dagger/locate.js";
import { describeConformance } from "./conformance.js";

const engine = hasDaggerSession(process.env) || findDaggerCli(process.env) !== undefined;
if (!engine) {
  console.warn(
    "dagger backend conformance NOT RUN: no Dagger engine here (no `dagger run` session, no dagger CLI)",
  );
}

// The docker suite's cases on the dagger backend: counted as skipped, never passed, where no
// engine can be reached.
describeConformance("dagger", engine);
