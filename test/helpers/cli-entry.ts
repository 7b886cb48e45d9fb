// The CLI run from its sources (through tsx), so tests never exercise a stale dist/.
import { main } from "../../src/cli/main.js";

process.exitCode = await main(process.argv);
