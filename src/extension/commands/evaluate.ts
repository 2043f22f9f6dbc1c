// Evaluate Prompt: the held-out accuracy of the prompt at hand on the built-in demo task or a dataset file.
import * as vscode from 'vscode';
import { BUILTIN_DEMO_TASK, EvalPrompt, type DatasetRef } from '../../worker/protocol';
import { runSettings } from '../config';
import { COMMANDS } from '../core/ids';
import { requireTrust, type CommandBody, type CommandDeps } from './deps';
import { resolveSource } from './pickers';

export function evaluateCommands(d: CommandDeps): Record<string, CommandBody> {
  return {
    [COMMANDS.evaluatePrompt]: async (...args) => {
      if (!requireTrust()) return undefined;
      const source = await resolveSource(args);
      if (!source) throw new Error('put the cursor in a prompt (or select one) first');
      const choice = await vscode.window.showQuickPick([{ label: 'Built-in demo task', id: 'demo' }, { label: 'Dataset file…', id: 'file' }], { title: 'GReaTer: evaluate on' });
      if (!choice) return undefined;
      let dataset: DatasetRef = { builtin: BUILTIN_DEMO_TASK };
      if (choice.id === 'file') {
        const f = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Datasets: ['json', 'jsonl', 'csv', 'tsv'] } });
        if (!f?.[0]) return undefined;
        dataset = { path: f[0].fsPath };
      }
      const s = runSettings();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `GReaTer: evaluating ${source.label}`, cancellable: true },
        (_p, token) => d.worker.request(EvalPrompt, {
          model: s.model, device: s.device, dataset, extractor: { preset: 'auto' }, seed: s.seed, prompt: source.optimizable,
          context: source.context, split: 'heldout', trainSize: s.trainSize,
        }, token),
      );
      const msg = `${source.label}: held-out accuracy ${result.correct}/${result.total} (${(result.accuracy * 100).toFixed(1)}%).`;
      vscode.window.showInformationMessage(`GReaTer: ${msg}`);
      return result;
    },
  };
}
