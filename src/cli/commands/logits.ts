// `greater logits`: teacher-forced logits, one row of vocab-size floats per input position; row i
// predicts token i+1. Without --json, the top 5 next tokens per position.
import { requireString } from '../args';
import { modelCommand, parseIdList } from '../model-flags';

export const command = modelCommand({
  name: 'logits',
  summary: 'teacher-forced logits for a sequence of token ids',
  flags: {
    ids: { kind: 'string', help: 'input token ids, comma-separated' },
    json: { kind: 'boolean', help: 'print {"logits": [[...], ...]}' },
  },
  check: (f) => parseIdList('ids', requireString('logits', f, 'ids')),
  async run(m, ids, f) {
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
  },
});
