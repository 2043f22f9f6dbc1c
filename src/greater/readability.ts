// Readability of a prompt: the model's perplexity of the prompt's tokens where the prompt sits (after the template
// and the question of the first few training samples), exp of the mean negative log-likelihood. Word salad and
// glued words read as unlikely text to the model itself, so the figure rises when a prompt stops reading well;
// it is reported next to accuracy, never optimised here.
import type { PromptLayout } from './layout';
import type { ModelPort } from './model';

export async function promptPerplexity(m: ModelPort, layout: PromptLayout, ctrl: readonly number[], samples = 4): Promise<number> {
  const ss = layout.samples.slice(0, Math.max(1, Math.min(samples, layout.samples.length)));
  // position p predicts the token at p + 1: the prompt's first token is scored from the context before it
  const positions = ss.map((s) => ctrl.map((_, j) => s.before.length + j - 1).filter((p) => p >= 0));
  const rows = await m.nextTokenLogProbs(ss.map((s) => layout.promptIds(s, ctrl)), positions);
  const V = m.config.vocabSize;
  let nll = 0;
  let n = 0;
  rows.forEach((r, b) => positions[b].forEach((p, k) => {
    nll -= r[k * V + ctrl[p + 1 - ss[b].before.length]];
    n++;
  }));
  return n ? Math.exp(nll / n) : 1;
}
