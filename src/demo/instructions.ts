// The instruction language of the demo task: the words a user puts after "Use" and the rule that maps an
// instruction to a response style. Good keywords ask for worked reasoning, weak keywords for a quick
// estimate; everything else is neutral glue. Rule (word counts, so one edited word can flip the style):
//   worked reasoning  iff  #good ≥ 1 and #good ≥ #weak,   otherwise a rounded estimate.
// Training instructions are phrases from these lists, plus copies with one or two words swapped for random
// vocabulary words (what a one-token edit by the optimizer produces), labelled by the same rule.
import type { Rng } from '../greater/rng';

export type ResponseStyle = 'worked' | 'estimate';

export const GOOD_WORDS: readonly string[] = [
  'step', 'steps', 'careful', 'carefully', 'reasoning', 'logical', 'logic', 'work', 'detailed', 'detail',
  'thorough', 'methodical', 'systematic', 'column', 'columns', 'digit', 'explain', 'show', 'check', 'think',
  'thinking', 'precise', 'exact', 'written', 'rigorous',
];

export const WEAK_WORDS: readonly string[] = [
  'guess', 'quick', 'quickly', 'rough', 'roughly', 'estimate', 'instinct', 'hunch', 'fast', 'gut', 'feeling',
  'glance', 'approximate', 'ballpark', 'shortcut', 'hurry', 'vague', 'lazy',
];

export const NEUTRAL_WORDS: readonly string[] = [
  'a', 'an', 'the', 'your', 'my', 'some', 'and', 'then', 'to', 'of', 'by', 'with', 'only', 'just', 'give', 'answer',
  'final', 'best', 'first', 'simple', 'short', 'one', 'it', 'this', 'good', 'clear', 'correct', 'actual', 'proper',
  'Finally', 'math', 'method', 'number', 'sum', 'result', 'each', 'every', 'all', 'find', 'write', 'very', 'at',
];

const GOOD = new Set(GOOD_WORDS);
const WEAK = new Set(WEAK_WORDS);

// Phrases people would write; {…} slots are filled from the lists below.
const GOOD_PHRASES: readonly string[] = [
  'step by step reasoning', 'careful reasoning', 'careful step by step thinking', 'logical reasoning',
  'proper logical reasoning and think step by step', 'detailed work', 'the column method', 'digit by digit work',
  'a careful check of each digit', 'systematic reasoning', 'thorough reasoning and show the work', 'methodical steps',
  'precise work', 'a detailed explanation', 'rigorous logic', 'written work', 'exact steps', 'careful thinking',
  'the written method and show each step', 'clear logical steps', 'your best reasoning', 'careful work and check it',
];

const WEAK_PHRASES: readonly string[] = [
  'a quick guess', 'a rough estimate', 'your first instinct', 'a fast hunch', 'your gut feeling', 'a quick glance',
  'an approximate answer', 'a ballpark estimate', 'a shortcut', 'a guess', 'your best guess', 'a quick estimate',
  'a vague guess', 'a lazy shortcut', 'a hurry', 'your instinct and guess', 'a rough guess', 'just a hunch',
];

const CLOSERS: readonly string[] = [
  'Finally give the actual correct answer', 'give the answer', 'give the final answer', 'find the sum',
  'write the result', 'give one number',
];

/** Words of an instruction as the rule sees them (punctuation dropped). */
export function instructionWords(text: string): string[] {
  return text.split(/[^A-Za-z]+/).filter(Boolean);
}

export function styleOf(instruction: string): ResponseStyle {
  let good = 0;
  let weak = 0;
  for (const w of instructionWords(instruction)) {
    if (GOOD.has(w)) good++;
    else if (WEAK.has(w)) weak++;
  }
  return good >= 1 && good >= weak ? 'worked' : 'estimate';
}

const ALL_WORDS: readonly string[] = [...GOOD_WORDS, ...WEAK_WORDS, ...NEUTRAL_WORDS];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** One training instruction: a phrase, maybe a second phrase or a closing sentence, ending in ".". */
export function sampleInstruction(rng: Rng): string {
  // Worked answers take longer to learn than estimates, so they get the larger share.
  const main = rng.next() < 0.6 ? pick(rng, GOOD_PHRASES) : pick(rng, WEAK_PHRASES);
  let text = main;
  const r = rng.next();
  if (r < 0.2) text += ' and ' + pick(rng, rng.next() < 0.5 ? GOOD_PHRASES : WEAK_PHRASES);
  else if (r < 0.45) text += '. ' + pick(rng, CLOSERS);
  // One-token edits as the optimizer makes them: swap one or two words for any vocabulary word.
  if (rng.next() < 0.35) {
    const words = text.split(' ');
    const edits = rng.next() < 0.7 ? 1 : 2;
    for (let e = 0; e < edits; e++) {
      const i = rng.int(words.length);
      const tail = words[i].endsWith('.') ? '.' : '';
      words[i] = pick(rng, ALL_WORDS) + tail;
    }
    text = words.join(' ');
  }
  return text + '.';
}

export const ALL_INSTRUCTION_WORDS: readonly string[] = ALL_WORDS;
