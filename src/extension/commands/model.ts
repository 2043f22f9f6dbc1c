// Model and credentials: pick the model (built-in demo, a Hugging Face id, a local folder), set the HF token,
// show the log.
import * as vscode from 'vscode';
import { BUILTIN_DEMO_MODEL } from '../../worker/protocol';
import { runSettings, setModel } from '../config';
import { COMMANDS } from '../core/ids';
import type { CommandBody, CommandDeps } from './deps';

export function modelCommands(d: CommandDeps): Record<string, CommandBody> {
  return {
    [COMMANDS.showLog]: () => d.log.show(),
    [COMMANDS.setHfToken]: () => d.tokens.prompt(),
    [COMMANDS.setEndpointKey]: () => d.endpointKey.prompt(),
    [COMMANDS.selectModel]: async () => {
      const current = runSettings().model;
      const items: (vscode.QuickPickItem & { value?: string })[] = [
        { label: '$(beaker) Built-in demo model', description: 'no download, runs in seconds on a CPU', value: BUILTIN_DEMO_MODEL },
        { label: '$(cloud-download) Hugging Face model id…', description: 'e.g. HuggingFaceTB/SmolLM2-360M-Instruct' },
        { label: '$(folder) Local model folder…', description: 'config.json + safetensors + tokenizer.json' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: `GReaTer: model (now: ${current})` });
      if (!pick) return undefined;
      let model = pick.value;
      if (!model && pick.label.includes('Hugging Face')) {
        model = await vscode.window.showInputBox({ title: 'Hugging Face model id', value: current === BUILTIN_DEMO_MODEL ? '' : current, validateInput: (v) => (/^[\w.-]+\/[\w.-]+$/.test(v.trim()) ? undefined : 'owner/name') });
      } else if (!model) {
        const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
        model = folder?.[0]?.fsPath;
      }
      if (!model) return undefined;
      await setModel(model.trim());
      return model.trim();
    },
  };
}
