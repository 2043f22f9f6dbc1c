// Accept / Discard of an applied prompt under review (the CodeLens above it, or the palette on the active editor).
import * as vscode from 'vscode';
import { COMMANDS } from '../core/ids';
import type { CommandBody, CommandDeps } from './deps';

export function reviewCommands(d: CommandDeps): Record<string, CommandBody> {
  const uriArg = (a: unknown) => (a instanceof vscode.Uri ? a : undefined);
  return {
    [COMMANDS.acceptApplied]: (arg) => {
      const msg = d.review.accept(uriArg(arg));
      if (msg) vscode.window.setStatusBarMessage(`GReaTer: ${msg}`, 3000);
      return msg;
    },
    [COMMANDS.discardApplied]: async (arg) => {
      const msg = await d.review.discard(uriArg(arg));
      if (msg) vscode.window.setStatusBarMessage(`GReaTer: ${msg}`, 3000);
      return msg;
    },
  };
}
