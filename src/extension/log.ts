// The extension's LogOutputChannel ("GReaTer"): worker stderr, RPC traces and our own messages. Secrets
// registered here (the HF token) are masked in every line, whatever path a message took to get here.
import * as vscode from 'vscode';
import { redact } from './core/redact';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private secrets: string[] = [];

  constructor() {
    this.channel = vscode.window.createOutputChannel('GReaTer', { log: true });
  }

  /** Never print this value; called when the token is read or changed. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4 && !this.secrets.includes(value)) this.secrets.push(value);
  }

  redact(s: string): string {
    return redact(s, this.secrets);
  }

  info(msg: string): void { this.channel.info(this.redact(msg)); }
  warn(msg: string): void { this.channel.warn(this.redact(msg)); }
  error(msg: string): void { this.channel.error(this.redact(msg)); }
  trace(msg: string): void { this.channel.trace(this.redact(msg)); }

  /** A line of worker stderr, at the level its prefix suggests. */
  worker(line: string): void {
    const l = this.redact(line);
    if (/\berror\b/i.test(l)) this.channel.error(l);
    else if (/\bwarn/i.test(l)) this.channel.warn(l);
    else this.channel.info(l);
  }

  show(): void { this.channel.show(true); }
  dispose(): void { this.channel.dispose(); }
}
