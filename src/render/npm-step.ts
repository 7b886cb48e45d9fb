import { type NpmStep, npmPackages, npmPrune } from "../model/catalog-schema.js";
import { globWord, shellWord, shellWords } from "./shell-words.js";

const NPM_INSTALL = ["npm", "install", "-g", "--no-fund", "--no-audit"];

/**
 * The commands of an npm step, joined with &&: the install, then (in the same layer, so the
 * image never holds them) the prune patterns deleted under npm's global node_modules. A pattern
 * that matches nothing fails the step: the package changed and the catalog must follow.
 */
export function npmStepCommands(npm: NpmStep): string[] {
  const commands = [shellWords([...NPM_INSTALL, ...npmPackages(npm)])];
  const prune = npmPrune(npm);
  if (prune.length === 0) return commands;
  commands.push(
    `hilt_root="$(npm root -g)" && [ -d "$hilt_root" ] && cd "$hilt_root"`,
    ...prune.map((pattern) => {
      const nothing = shellWord(`npm prune: ${pattern} matched nothing in the global node_modules`);
      return `set -- ${globWord(pattern)} && { [ -e "$1" ] || [ -L "$1" ] || { echo ${nothing} >&2; exit 1; }; } && rm -rf -- "$@"`;
    }),
  );
  return commands;
}

/** An npm step as an argv: npm itself, or sh when there is something to prune. */
export function npmStepArgv(npm: NpmStep): string[] {
  return npmPrune(npm).length === 0
    ? [...NPM_INSTALL, ...npmPackages(npm)]
    : ["sh", "-c", npmStepCommands(npm).join(" && ")];
}
