// `greater extractor-check`: dry run of the extractor on N samples — reasoning with the prompt, the
// extractor appended, the answer read after it shown next to the gold one. Exit 1 if no answer can be read at all.
import { DEFAULT_CONFIG } from '../../greater/config';
import { extractorDryRun } from '../../greater/oneshot';
import { oneShotCommand } from '../task-flags';

export const command = oneShotCommand({
  name: 'extractor-check',
  summary: 'dry-run the extractor: reasoning, extracted answer and gold answer for a few samples',
  flags: {
    // no flag defaults here: the built-in demo fills in its own, otherwise the optimizer's config defaults apply
    prompt: { kind: 'string', help: `the prompt text (the {control} part; default ${JSON.stringify(DEFAULT_CONFIG.initialPrompt)})` },
    template: { kind: 'string', help: `user turn with {question} and {control} (default ${JSON.stringify(DEFAULT_CONFIG.promptTemplate)})` },
    joiner: { kind: 'string', help: `text between reasoning and extractor (default ${JSON.stringify(DEFAULT_CONFIG.reasoningJoiner)})` },
    samples: { kind: 'number', help: 'how many training samples to try', default: 5 },
    'max-new-tokens': { kind: 'number', help: 'reasoning length cap', default: 512 },
    json: { kind: 'boolean', help: 'print the result as JSON' },
  },
  config: { from: { samples: 'trainSize' } },
  async run(opts, f) {
    const r = await extractorDryRun(opts, f.samples as number);
    if (f.json) {
      process.stdout.write(JSON.stringify({ extractor: r.extractorId, text: r.extractorText, problems: r.check.problems, samples: r.evaluation.examples }, null, 1) + '\n');
    } else {
      process.stdout.write(`extractor ${r.extractorId}: ${JSON.stringify(r.extractorText)}\n\n`);
      for (const e of r.evaluation.examples) {
        const reasoning = e.reasoning.replace(/\s+/g, ' ').trim();
        process.stdout.write(`line ${e.line}: ${reasoning.length > 160 ? reasoning.slice(0, 157) + '...' : reasoning}\n`);
        process.stdout.write(`  extracted ${e.answer === null ? '(none)' : JSON.stringify(e.answer)}  gold ${JSON.stringify(e.gold)}  ${e.correct ? 'correct' : 'wrong'}\n`);
      }
    }
    for (const p of r.check.problems) process.stderr.write(`problem: ${p}\n`);
    return r.check.extractorFound === 0 || r.check.parsed === 0 ? 1 : 0;
  },
});
