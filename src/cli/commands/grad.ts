// `greater grad`: L = mean over targets of cross-entropy(logits[P] / T, ID) and grad[i] = ∂L/∂x_i, x_i
// the embedding-table row fed at input position i (before model-specific scaling such as Gemma's √hidden).
import { UserError } from '../../engine';
import { requireString } from '../args';
import { modelCommand, parseIdList } from '../model-flags';

export function parseTargets(s: string): { position: number; id: number }[] {
  const parts = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (!parts.length) throw new UserError(`--targets expects P:ID pairs such as 3:42,4:7, got '${s}'`);
  return parts.map((p) => {
    const m = /^(\d+):(\d+)$/.exec(p);
    if (!m) throw new UserError(`--targets: '${p}' is not a P:ID pair (position:token id, e.g. 3:42)`);
    return { position: Number(m[1]), id: Number(m[2]) };
  });
}

export const command = modelCommand({
  name: 'grad',
  summary: 'answer loss and its gradient with respect to the input embeddings',
  flags: {
    ids: { kind: 'string', help: 'input token ids, comma-separated' },
    targets: { kind: 'string', help: 'P:ID pairs, comma-separated: the token ID predicted at position P' },
    temperature: { kind: 'number', help: 'logits are divided by it', default: 1 },
    json: { kind: 'boolean', help: 'print {"loss": L, "grad": [[...], ...]}' },
  },
  check(f) {
    const ids = parseIdList('ids', requireString('grad', f, 'ids'));
    const targets = parseTargets(requireString('grad', f, 'targets'));
    const T = Number(f.temperature);
    if (!(T > 0)) throw new UserError(`--temperature must be positive, got ${f.temperature}`);
    return { ids, targets, T };
  },
  async run(m, { ids, targets, T }, f) {
    const [r] = await m.inputGradient([{ ids, targets: targets.map((t) => ({ ...t, temperature: T })) }]);
    const grad = r.grad.map((g) => Array.from(g));
    if (f.json) process.stdout.write(JSON.stringify({ loss: r.loss, grad }) + '\n');
    else {
      process.stdout.write(`loss\t${r.loss}\n`);
      grad.forEach((g, i) => process.stdout.write(`${i}\t${ids[i]}\t|grad| ${Math.hypot(...g).toExponential(4)}\n`));
    }
    return 0;
  },
});
