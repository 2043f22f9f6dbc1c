// Every command of the manifest, by id: the bodies live in one module per concern beside this file.
import type { CommandBody, CommandDeps } from './deps';
import { evaluateCommands } from './evaluate';
import { historyCommands } from './history';
import { modelCommands } from './model';
import { optimizeCommands } from './optimize';
import { reviewCommands } from './review';
import { runCommands } from './runs';

export { registerCommand, type CommandDeps } from './deps';

export function allCommands(d: CommandDeps): Record<string, CommandBody> {
  return { ...optimizeCommands(d), ...runCommands(d), ...modelCommands(d), ...evaluateCommands(d), ...reviewCommands(d), ...historyCommands(d) };
}
