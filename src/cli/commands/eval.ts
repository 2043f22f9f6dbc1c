// `greater eval`: accuracy of one prompt on a task (held-out split by default, as a run evaluates it).
import { requireString } from '../args';
import { UserError } from '../../engine';
import { evaluateTaskPrompt, type SplitChoice } from '../../greater/oneshot';
import { oneShotCommand } from '../task-flags';

export const command = oneShotCommand({
  name: 'eval',
  summary: 'evaluate a prompt on a task',
  flags: {
    prompt: { kind: 'string', help: 'the prompt text (the {control} part of the template)' },
    template: { kind: 'string', help: 'user turn with {question} and {control}', default: '{question}. Use {control}' },
    joiner: { kind: 'string', help: 'text between reasoning and extractor', default: ' ' },
    split: { kind: 'string', help: 'heldout, train or all', default: 'heldout' },
    'train-size': { kind: 'number', help: 'training examples of the split (held-out = the rest)', default: 50 },
    limit: { kind: 'number', help: 'evaluate at most this many examples' },
    'max-new-tokens': { kind: 'number', help: 'reasoning length cap', default: 1024 },
    'batch-size': { kind: 'number', help: 'samples per batch', default: 9 },
    json: { kind: 'boolean', help: 'print the full result (per example) as JSON' },
  },
  check(f) {
    if (!['heldout', 'train', 'all'].includes(f.split as string)) throw new UserError(`--split must be heldout, train or all, got '${f.split}'`);
    requireString('eval', f, 'prompt');
  },
  config: { fixed: { heldOutSize: 1_000_000 } },
  async run(opts, f) {
    const split = f.split as SplitChoice;
    const limit = typeof f.limit === 'number' ? f.limit : undefined;
    const ev = await evaluateTaskPrompt(opts, split, limit, undefined, (d, n) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${d}/${n}`); });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (f.json) process.stdout.write(JSON.stringify(ev, null, 1) + '\n');
    else process.stdout.write(`${split}: ${ev.correct}/${ev.total} correct (${(100 * ev.accuracy).toFixed(1)}%), teacher-forced ${(100 * ev.forcedAccuracy).toFixed(1)}%\n`);
    return 0;
  },
});
