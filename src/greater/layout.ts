// Prompt layout (ALGORITHM §2) through the model's own chat template: the user turn is the configured
// template ("{question}. Use {control}"), rendered once per example with a sentinel where the control goes.
// The control is kept as token ids (§13 item 5) and every slice is known by construction: a sequence is
//   before(example) ++ control ++ after(example) ++ reasoning ++ target(example)
// where target = joiner + extractor + answer and the answer's tokens are located inside target (§13 item 10).
import { UserError } from '../engine';
import type { TaskExample } from './tasks';
import type { ModelPort } from './model';

const SENTINEL = '\u2063GREATER_CONTROL\u2063';

export interface SampleLayout {
  /** Example index in the dataset (stable across runs). */
  index: number;
  line: number;
  question: string;
  answer: string;
  /** Template prefix, question and the text before the control (e.g. "… . Use"). */
  before: number[];
  /** End of the user turn and the assistant header. */
  after: number[];
  /** joiner + extractor + answer, teacher-forced after the reasoning. */
  target: number[];
  /** target[answerStart..] are the answer tokens. */
  answerStart: number;
}

export interface PromptLayout {
  readonly template: string;
  /** Whitespace between the template text and the control (moved into the control's left edge). */
  readonly lead: string;
  readonly samples: SampleLayout[];
  encodeControl(text: string): number[];
  controlText(ids: readonly number[]): string;
  promptIds(s: SampleLayout, ctrl: readonly number[]): number[];
}

/** Maps a prefix/suffix prompt context (worker protocol) onto a template. */
export function templateFromContext(prefix: string, suffix: string, questionPlaceholder?: string): string {
  const esc = (s: string) => s;
  if (questionPlaceholder && (prefix.includes(questionPlaceholder) || suffix.includes(questionPlaceholder))) {
    return esc(prefix).split(questionPlaceholder).join('{question}') + '{control}' + esc(suffix).split(questionPlaceholder).join('{question}');
  }
  return `{question} ${prefix}{control}${suffix}`;
}

/**
 * Token ids of `text` as it tokenises right after `context`: encode(context + text) minus encode(context)
 * when the latter is a prefix (so SentencePiece's "▁" for a leading space comes out as it would in the
 * full sequence); otherwise `text` on its own.
 */
export function encodeFragment(m: ModelPort, text: string, context: string): number[] {
  if (text === '') return [];
  if (context === '') return m.encode(text, { addSpecialTokens: false });
  const head = m.encode(context, { addSpecialTokens: false });
  const full = m.encode(context + text, { addSpecialTokens: false });
  if (full.length > head.length && head.every((t, i) => full[i] === t)) return full.slice(head.length);
  return m.encode(text, { addSpecialTokens: false });
}

/** Index of the shortest token suffix of `target` whose text contains the answer (by construction, §13 item 10). */
export function locateAnswer(m: ModelPort, target: readonly number[], answer: string): number {
  const want = answer.trim();
  for (let k = target.length - 1; k >= 0; k--) {
    if (m.decode(target.slice(k)).includes(want)) return k;
  }
  throw new Error(`answer ${JSON.stringify(answer)} not found in its own target ${JSON.stringify(m.decode([...target]))}`);
}

/** The user turn's text: the configured template with the question and the prompt in place (an endpoint gets this). */
export function userTurnContent(template: string, question: string, control: string): string {
  return template.replace('{question}', question).replace('{control}', control);
}

function renderUserTurn(m: ModelPort, content: string): string {
  return m.chatTemplate([{ role: 'user', content }], { addGenerationPrompt: true });
}

export interface LayoutOptions {
  template: string;
  joiner: string;
  extractorText: string;
}

export function buildLayout(m: ModelPort, examples: readonly TaskExample[], opts: LayoutOptions): PromptLayout {
  const [tBefore] = opts.template.split('{control}');
  // Text right before the control, without the question: the context the control is tokenised in.
  const ctxRaw = tBefore.includes('{question}') ? tBefore.slice(tBefore.indexOf('{question}') + '{question}'.length) : tBefore;
  const lead = /\s*$/.exec(ctxRaw)![0];
  const context = ctxRaw.slice(0, ctxRaw.length - lead.length);
  const anchor = context === '' ? '' : context;
  const anchorIds = anchor === '' ? [] : m.encode(anchor, { addSpecialTokens: false });
  const anchorText = m.decode(anchorIds);

  const samples = examples.map((ex): SampleLayout => {
    const content = userTurnContent(opts.template, ex.question, SENTINEL);
    const rendered = renderUserTurn(m, content);
    const parts = rendered.split(SENTINEL);
    if (parts.length !== 2) throw new UserError(`the model's chat template dropped or repeated the prompt position (template ${JSON.stringify(opts.template)}); use a plain template`);
    // The control's leading whitespace belongs to the control, so "Use" + " proper" tokenise as in one string.
    const beforeText = parts[0].slice(0, parts[0].length - (parts[0].endsWith(lead) ? lead.length : 0));
    let before = m.encode(beforeText, { addSpecialTokens: true });
    if (before.length > 1 && before[0] === before[1] && m.tokenizer.specialIds.has(before[0])) before = before.slice(1); // template BOS + tokenizer BOS
    const after = encodeFragment(m, parts[1], 'x');
    const target = encodeFragment(m, opts.joiner + opts.extractorText + ex.answer, 'x');
    return { index: ex.index, line: ex.line, question: ex.question, answer: ex.answer, before, after, target, answerStart: locateAnswer(m, target, ex.answer) };
  });

  return {
    template: opts.template,
    lead,
    samples,
    encodeControl: (text) => encodeFragment(m, lead + text.replace(/^\s+/, ''), context),
    controlText: (ids) => {
      const full = m.decode([...anchorIds, ...ids]);
      const text = full.startsWith(anchorText) ? full.slice(anchorText.length) : m.decode([...ids]);
      return text.startsWith(lead) ? text.slice(lead.length) : text;
    },
    promptIds: (s, ctrl) => [...s.before, ...ctrl, ...s.after],
  };
}

/** Longest prompt + target among the samples, for context-window checks. */
export function longestSample(l: PromptLayout, ctrlLen: number): { sample: SampleLayout; promptLen: number; total: number } {
  let best = l.samples[0];
  let bestTotal = -1;
  for (const s of l.samples) {
    const t = s.before.length + ctrlLen + s.after.length + s.target.length;
    if (t > bestTotal) { bestTotal = t; best = s; }
  }
  return { sample: best, promptLen: best.before.length + ctrlLen + best.after.length, total: bestTotal };
}

/**
 * Generation budget that fits the context window for the current control length: the configured
 * max_new_tokens, lowered when prompt + reasoning + target would not fit. Throws if not even the prompt and
 * target fit, naming the example's file and line.
 */
export function generationBudget(l: PromptLayout, ctrlLen: number, maxNew: number, window: number, file: string): number {
  const { sample, promptLen, total } = longestSample(l, ctrlLen);
  const room = window - total - 1;
  if (room < 1) {
    throw new UserError(`${file}:${sample.line}: this question with the prompt takes ${promptLen} tokens and the target ${total - promptLen} more, ` +
      `which leaves no room for reasoning in the model's context window of ${window} tokens (expected at most ${window - 2} tokens in total); shorten the question or the prompt, or use a model with a longer context`);
  }
  return Math.min(maxNew, room);
}
