// Which tokens may be proposed (ALGORITHM §5 step 2, §13 items 5 and 7), and the two tokens the schedule
// names by text: the filler "_" and the period ".". Computed once per model.
import type { ModelPort } from './model';

export interface Vocabulary {
  /** banned[id] = 1 if the token may never be proposed. */
  banned: Uint8Array;
  /** Token appended to grow the prompt (§8: tokenizer.encode("_")[-1]). */
  filler: number;
  /** The "." token (§7: tokenizer.encode("sample.")[-1]). */
  period: number;
  /** Decoded text of every id (cached; decoding is not free). */
  text(id: number): string;
}

export interface BanOptions {
  banAllSpecial: boolean;
  banWhitespace: boolean;
}

/** The reference's "ascii" rule: letters and spaces only, except the exact strings ".", ",", " ". */
export function referenceAllowed(text: string): boolean {
  if (text === '.' || text === ',' || text === ' ') return true;
  return text.length > 0 && /^[A-Za-z ]+$/.test(text);
}

export function buildVocabulary(m: ModelPort, opts: BanOptions): Vocabulary {
  const V = m.config.vocabSize;
  const tokV = m.tokenizer.vocabSize;
  const texts = new Map<number, string>();
  const text = (id: number) => {
    let t = texts.get(id);
    if (t === undefined) { t = m.tokenizer.tokenText(id); texts.set(id, t); }
    return t;
  };
  const banned = new Uint8Array(V);
  const stop = new Set(m.stopIds);
  for (let id = 0; id < V; id++) {
    if (id >= tokV) { banned[id] = 1; continue; } // embedding rows past the tokenizer are padding
    if (m.tokenizer.specialIds.has(id)) {
      // The reference checked only ids below HF's vocab_size, so added specials (Llama-3 headers) leaked in.
      banned[id] = opts.banAllSpecial || stop.has(id) || id < 3 ? 1 : 0;
      continue;
    }
    if (id < 3) { banned[id] = 1; continue; }
    const t = text(id);
    if (!referenceAllowed(t)) banned[id] = 1;
    else if (opts.banWhitespace && t.trim() === '') banned[id] = 1;
  }
  const last = (s: string) => {
    const ids = m.encode(s, { addSpecialTokens: false });
    return ids[ids.length - 1];
  };
  return { banned, filler: last('_'), period: last('sample.'), text };
}

/** §7 step 4: the "." token or any token whose text contains ".". */
export function isPeriodToken(v: Vocabulary, id: number): boolean {
  return id === v.period || v.text(id).includes('.');
}

/**
 * True when placing `text` between `before` and `after` (decoded neighbours; '' at the ends) joins two words
 * with no space: a lowercase letter running straight into an uppercase one ("workingTherefore"), which
 * BPE round-trips happily. A lowercase continuation such as "ing" after "work" stays allowed.
 */
export function gluesWords(before: string, text: string, after: string): boolean {
  const camel = (left: string, right: string) => /\p{Ll}$/u.test(left) && /^\p{Lu}/u.test(right);
  return camel(before, text) || camel(text, after);
}
