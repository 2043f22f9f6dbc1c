// `greater eval`: accuracy of one prompt on a task (held-out split by default, as a run evaluates it).
import type { Command } from '../command';
import { requireString, type FlagSpec } from '../args';
import { UserError } from '../../engine';
import { makeConfig } from '../../greater/config';
import { evaluateTaskPrompt, type SplitChoice } from '../../greater/oneshot';
import { TASK_FLAGS, modelAndTask, parseTaskFlags } from './optimize';

const FLAGS: FlagSpec = {
  ...TASK_FLAGS,
  prompt: { kind: 'string', help: 'the prompt text (the {control} part of the template)' },
  template: { kind: 'string', help: 'user turn with {question} and {control}', default: '{question}. Use {control}' },
  joiner: { kind: 'string', help: 'text between reasoning and extractor', default: ' ' },
  split: { kind: 'string', help: 'heldout, train or all', default: 'heldout' },
  'train-size': { kind: 'number', help: 'training examples of the split (held-out = the rest)', default: 50 },
  limit: { kind: 'number', help: 'evaluate at most this many examples' },
  'max-new-tokens': { kind: 'number', help: 'reasoning length cap', default: 1024 },
  'batch-size': { kind: 'number', help: 'samples per batch', default: 9 },
  json: { kind: 'boolean', help: 'print the full result (per example) as JSON' },
};

export const command: Command = {
  flags: FLAGS,
  summary: 'evaluate a prompt on a task',
  async run(argv: string[]): Promise<number> {
    const flags = parseTaskFlags('eval', argv, FLAGS);
    const split = flags.split as string;
    if (!['heldout', 'train', 'all'].includes(split)) throw new UserError(`greater eval: --split must be heldout, train or all, got '${split}'`);
    const prompt = requireString('eval', flags, 'prompt');
    const config = makeConfig({
      seed: flags.seed, promptTemplate: flags.template, reasoningJoiner: flags.joiner, trainSize: flags['train-size'],
      maxNewTokens: flags['max-new-tokens'], batchSize: flags['batch-size'], heldOutSize: 1_000_000, initialPrompt: prompt,
    }, 'greater eval');
    const limit = typeof flags.limit === 'number' ? flags.limit : undefined;
    const ev = await evaluateTaskPrompt({ ...modelAndTask('eval', flags), prompt, config }, split as SplitChoice, limit, undefined, (d, n) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${d}/${n}`); });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (flags.json) process.stdout.write(JSON.stringify(ev, null, 1) + '\n');
    else process.stdout.write(`${split}: ${ev.correct}/${ev.total} correct (${(100 * ev.accuracy).toFixed(1)}%), teacher-forced ${(100 * ev.forcedAccuracy).toFixed(1)}%\n`);
    return 0;
  },
};
