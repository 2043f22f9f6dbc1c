// Evaluate Prompt: the accuracy of the prompt at hand on every example of the built-in demo task or a dataset
// file. A prompt's accuracy needs no training size (there is no training), so none is asked for or used.
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
      const dataset = datasetArg(args[2]) ?? (await pickDataset());
      if (!dataset) return undefined;
      const s = runSettings();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `GReaTer: evaluating ${source.label}`, cancellable: true },
        (_p, token) => d.worker.request(EvalPrompt, {
          model: s.model, device: s.device, dataset, extractor: { preset: 'auto' }, seed: s.seed, prompt: source.optimizable,
          context: source.context, split: 'all', trainSize: 0,
        }, token),
      );
      const msg = `${source.label}: accuracy ${result.correct}/${result.total} (${(result.accuracy * 100).toFixed(1)}%) on every example of the dataset.`;
      vscode.window.showInformationMessage(`GReaTer: ${msg}`);
      return result;
    },
  };
}

/** A dataset given with the command (tests, other extensions): `{ path }` inside the workspace, or `{ builtin: 'demo' }`. */
function datasetArg(arg: unknown): DatasetRef | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const a = arg as { path?: unknown; builtin?: unknown };
  if (typeof a.path === 'string') {
    if (!vscode.workspace.getWorkspaceFolder(vscode.Uri.file(a.path))) throw new Error(`${a.path} is outside this workspace; choose it in the file dialog instead`);
    return { path: a.path };
  }
  if (a.builtin === BUILTIN_DEMO_TASK) return { builtin: BUILTIN_DEMO_TASK };
  return undefined;
}

async function pickDataset(): Promise<DatasetRef | undefined> {
  const choice = await vscode.window.showQuickPick([{ label: 'Built-in demo task', id: 'demo' }, { label: 'Dataset file…', id: 'file' }], { title: 'GReaTer: evaluate on' });
  if (!choice) return undefined;
  if (choice.id === 'demo') return { builtin: BUILTIN_DEMO_TASK };
  const f = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Datasets: ['json', 'jsonl', 'csv', 'tsv'] } });
  return f?.[0] ? { path: f[0].fsPath } : undefined;
}
