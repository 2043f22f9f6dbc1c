// Credentials live in SecretStorage only. Each reaches the worker through an environment variable of the forked
// process (HF_TOKEN, GREATER_EVAL_API_KEY): never in argv, RPC params, the webview, logs or run folders.
import * as vscode from 'vscode';
import type { Log } from './log';

interface SecretSpec {
  key: string;
  title: string;
  prompt: string;
  /** what the notifications call it */
  name: string;
  validate?: (v: string) => string | undefined;
}

/** One secret: read (and registered with the log's redaction), asked for with a masked input, stored or removed. */
class StoredSecret {
  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: Log, private readonly spec: SecretSpec) {}

  async get(): Promise<string | undefined> {
    const v = await this.secrets.get(this.spec.key);
    this.log.addSecret(v);
    return v || undefined;
  }

  /** Stores `value` (trimmed; empty removes it). The command's input box and the in-host tests come through here. */
  async set(value: string): Promise<boolean> {
    const v = value.trim();
    if (v === '') {
      await this.secrets.delete(this.spec.key);
      return false;
    }
    this.log.addSecret(v);
    await this.secrets.store(this.spec.key, v);
    return true;
  }

  /** The command: ask (masked input), store or clear. Returns whether a value is now stored. */
  async prompt(): Promise<boolean> {
    const value = await vscode.window.showInputBox({
      title: this.spec.title, prompt: this.spec.prompt, password: true, ignoreFocusOut: true,
      validateInput: (v) => (v === '' ? undefined : this.spec.validate?.(v.trim())),
    });
    if (value === undefined) return !!(await this.get());
    const stored = await this.set(value);
    vscode.window.showInformationMessage(stored ? `GReaTer: ${this.spec.name} saved. The worker restarts to use it.` : `GReaTer: ${this.spec.name} removed.`);
    return stored;
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key === this.spec.key) listener();
    });
  }
}

export class TokenStore extends StoredSecret {
  constructor(secrets: vscode.SecretStorage, log: Log) {
    super(secrets, log, {
      key: 'greater.huggingFaceToken', title: 'Hugging Face token', name: 'Hugging Face token',
      prompt: 'Used only to download gated models. Stored in VS Code SecretStorage. Leave empty to remove it.',
      validate: (v) => (/^hf_\w{10,}$/.test(v) ? undefined : 'A Hugging Face token starts with "hf_"'),
    });
  }
}

/** The API key of the "Check on deployment model" endpoint (OpenAI-compatible). */
export class EndpointKeyStore extends StoredSecret {
  constructor(secrets: vscode.SecretStorage, log: Log) {
    super(secrets, log, {
      key: 'greater.evalEndpointApiKey', title: 'API key of the deployment endpoint', name: 'endpoint API key',
      prompt: 'Sent only as "Authorization: Bearer …" to the OpenAI-compatible endpoint of "Check on deployment model". Stored in VS Code SecretStorage. Leave empty to remove it.',
    });
  }
}
