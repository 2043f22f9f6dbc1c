// The Hugging Face token lives in SecretStorage only. It reaches the worker through the HF_TOKEN
// environment variable of the forked process: never in argv, RPC params, the webview, logs or run folders.
import * as vscode from 'vscode';
import type { Log } from './log';

const KEY = 'greater.huggingFaceToken';

export class TokenStore {
  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: Log) {}

  async get(): Promise<string | undefined> {
    const v = await this.secrets.get(KEY);
    this.log.addSecret(v);
    return v || undefined;
  }

  /** The command: ask (masked input), store or clear. Returns whether a token is now stored. */
  async prompt(): Promise<boolean> {
    const value = await vscode.window.showInputBox({
      title: 'Hugging Face token',
      prompt: 'Used only to download gated models. Stored in VS Code SecretStorage. Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v === '' || /^hf_\w{10,}$/.test(v.trim()) ? undefined : 'A Hugging Face token starts with "hf_"'),
    });
    if (value === undefined) return !!(await this.get());
    if (value.trim() === '') {
      await this.secrets.delete(KEY);
      vscode.window.showInformationMessage('GReaTer: Hugging Face token removed.');
      return false;
    }
    this.log.addSecret(value.trim());
    await this.secrets.store(KEY, value.trim());
    vscode.window.showInformationMessage('GReaTer: Hugging Face token saved. The worker restarts to use it.');
    return true;
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key === KEY) listener();
    });
  }
}
