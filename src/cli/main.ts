// Entry point of the `greater` command: dispatches to one module per sub-command and turns
// UserErrors into a one-line message with a non-zero exit code (never a stack trace).
import { isUserError } from '../engine';
import { HUGE_PAGES_ENV } from '../worker/protocol/launch-env';
import { helpText } from './args';
import type { Command } from './command';
import { relaunchWithHugePages } from './relaunch';

export type { Command };

// One line per sub-command; a module is loaded only when its command runs.
const commands: Record<string, () => Promise<Command>> = {
  version: async () => ({ summary: 'print the version', run: async () => { process.stdout.write(require('../../../package.json').version + '\n'); return 0; } }),
  convert: async () => (await import('./commands/convert')).command,
  optimize: async () => (await import('./commands/optimize')).command,
  eval: async () => (await import('./commands/eval')).command,
  'extractor-check': async () => (await import('./commands/extractor-check')).command,
  generate: async () => (await import('./commands/generate')).command,
  logits: async () => (await import('./commands/logits')).command,
  grad: async () => (await import('./commands/grad')).command,
  'train-demo': async () => (await import('./commands/train-demo')).command,
};

function usage(): string {
  return ['usage: greater <command> [flags]', '', 'commands:', ...Object.keys(commands).map((c) => `  ${c}`),
    '', "Run 'greater <command> --help' for a command's flags."].join('\n');
}

/**
 * The launcher's entry (bin/greater.js is `script`): a command that may load a model runs in a child process
 * started with huge pages where glibc can give them (worker/protocol/launch-env.ts; ${HUGE_PAGES_ENV}=0 opts out).
 */
export async function launch(argv: string[], script: string): Promise<number> {
  const [name] = argv;
  const heavy = name !== undefined && Object.hasOwn(commands, name) && name !== 'version' && !argv.includes('--help') && !argv.includes('-h');
  // a debugger's port cannot be opened twice
  const debugging = process.execArgv.some((a) => a.startsWith('--inspect') || a.startsWith('--debug'));
  return (heavy && !debugging ? relaunchWithHugePages(script, argv) : null) ?? main(argv);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`greater: unknown command '${name}'. Known commands: ${Object.keys(commands).join(', ')}\n`);
    return 2;
  }
  try {
    const cmd = await load();
    if (cmd.flags && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(helpText(name, cmd.summary, cmd.flags) + '\n');
      return 0;
    }
    return await cmd.run(rest);
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`greater ${name}: error: ${e.message}\n`);
      return 1;
    }
    const err = e as Error;
    // Errors from onnxruntime or the OS: keep to one line, the stack goes only to GREATER_DEBUG users.
    process.stderr.write(`greater ${name}: error: ${(err && err.message ? err.message : String(e)).split('\n')[0]}\n`);
    if (process.env.GREATER_DEBUG) process.stderr.write(String(err && err.stack) + '\n');
    return 1;
  }
}
