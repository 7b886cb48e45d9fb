/** The Dagger module entry: the TypeScript SDK loads the @object class from src/index.ts. */
export { Hilt } from "./dagger/module.js";
