import { describeConformance } from "./conformance.js";

describeConformance("docker", true);
