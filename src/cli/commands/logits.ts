// `greater logits`: teacher-forced logits, one row of vocab-size floats per input position; row i
// predicts token i+1. Without --json, the top 5 next tokens per position.
import type { Command } from '../command';
import { FlagSpec, parseFlags, requireString } from '../args';
import { MODEL_FLAGS, loadModel, parseIdList } from '../model-flags';

const FLAGS: FlagSpec = {
  ...MODEL_FLAGS,
  ids: { kind: 'string', help: 'input token ids, comma-separated' },
  json: { kind: 'boolean', help: 'print {"logits": [[...], ...]}' },
};
const SUMMARY = 'teacher-forced logits for a sequence of token ids';

export const command: Command = {
  summary: SUMMARY,
  flags: FLAGS,
  async run(argv) {
    const f = parseFlags('logits', argv, FLAGS);
    const ids = parseIdList('ids', requireString('logits', f, 'ids'));
    const m = await loadModel('logits', f);
    try {
      const [l] = await m.logits([ids]);
      const V = m.config.vocabSize;
      const rows = ids.map((_, i) => Array.from(l.subarray(i * V, (i + 1) * V)));
      if (f.json) process.stdout.write(JSON.stringify({ logits: rows }) + '\n');
      else {
        rows.forEach((r, i) => {
          const top = [...r.keys()].sort((a, b) => r[b] - r[a]).slice(0, 5);
          process.stdout.write(`${i}\t${ids[i]}\tnext: ${top.map((t) => `${t}(${r[t].toFixed(3)})`).join(' ')}\n`);
        });
      }
      return 0;
    } finally {
      await m.dispose();
    }
  },
};
