// The instruction language of the demo task: what a user writes after "Use", and the rule that maps it to a
// response style. An instruction is "<det> <adjective> <noun>" (sometimes two such phrases, or a closing
// sentence). Each adjective and noun has a class:
//   good    asks for careful work            → worked column addition, the exact sum (right)
//   rough   asks for an approximation        → the same column work, then the sum rounded to tens (wrong ~90%)
//   direct  asks for a fast answer           → no working, the sum "in the head" (often wrong)
//   neutral says nothing about the method
// Rule (word counts, so one edited word can flip the style):
//   worked  iff #good ≥ 1 and #good ≥ #rough + #direct;  else rough iff #rough > #direct;  else direct.
// Good words are few in each slot (3 of ~45), so a random pick from the model's own proposals rarely finds one;
// slots are sampled independently, so the fluency of the next word does not depend on the one being edited.
import type { Rng } from '../greater/rng';

export type ResponseStyle = 'worked' | 'rough' | 'direct';
export type WordClass = 'good' | 'rough' | 'direct' | 'neutral';

interface Slot {
  good: readonly string[];
  rough: readonly string[];
  direct: readonly string[];
  neutral: readonly string[];
}

export const ADJECTIVES: Slot = {
  good: ['careful', 'thorough', 'methodical'],
  rough: ['rough', 'approximate', 'ballpark', 'loose', 'rounded'],
  direct: ['quick', 'fast', 'instant', 'snap', 'hasty', 'immediate', 'brief', 'hurried'],
  neutral: [
    'simple', 'short', 'clear', 'nice', 'plain', 'good', 'small', 'big', 'friendly', 'honest', 'single', 'final', 'whole',
    'new', 'first', 'usual', 'normal', 'best', 'own', 'little', 'calm', 'bold', 'basic', 'fair', 'kind', 'proper', 'real',
    'true', 'right', 'full',
  ],
};

export const NOUNS: Slot = {
  good: ['reasoning', 'check', 'working'],
  rough: ['estimate', 'approximation', 'rounding', 'range'],
  direct: ['guess', 'hunch', 'glance', 'reply', 'reaction', 'instinct', 'shot', 'impression'],
  neutral: [
    'answer', 'number', 'result', 'try', 'attempt', 'idea', 'look', 'response', 'method', 'way', 'sum', 'total', 'value',
    'solution', 'thought', 'note', 'plan', 'word', 'pass', 'turn', 'view', 'take', 'version', 'summary', 'line', 'choice',
    'pick', 'call', 'effort', 'go',
  ],
};

const DETERMINERS: readonly string[] = ['a', 'an', 'the', 'your', 'my', 'one', 'some', 'this', 'any', 'each'];

const CLOSERS: readonly string[] = ['Then give the answer', 'Give one number', 'Write the result', 'Then say the sum', 'Give the total'];

/** Class weights of a slot when sampling training instructions: worked answers need the most practice. */
const CLASS_WEIGHTS: readonly [WordClass, number][] = [['good', 0.3], ['rough', 0.25], ['direct', 0.2], ['neutral', 0.25]];

const CLASS_OF = new Map<string, WordClass>();
for (const slot of [ADJECTIVES, NOUNS]) {
  for (const cls of ['good', 'rough', 'direct', 'neutral'] as const) for (const w of slot[cls]) CLASS_OF.set(w, cls);
}

export const GOOD_WORDS: readonly string[] = [...ADJECTIVES.good, ...NOUNS.good];
export const ROUGH_WORDS: readonly string[] = [...ADJECTIVES.rough, ...NOUNS.rough];
export const DIRECT_WORDS: readonly string[] = [...ADJECTIVES.direct, ...NOUNS.direct];

/** Every word an instruction can contain (the tokenizer makes each one token). */
export const ALL_INSTRUCTION_WORDS: readonly string[] = [
  ...new Set([...CLASS_OF.keys(), ...DETERMINERS, 'and', ...CLOSERS.flatMap((c) => c.split(' '))]),
];

export function wordClass(word: string): WordClass {
  return CLASS_OF.get(word) ?? 'neutral';
}

/** Words of an instruction as the rule sees them (punctuation dropped). */
export function instructionWords(text: string): string[] {
  return text.split(/[^A-Za-z]+/).filter(Boolean);
}

export function styleOf(instruction: string): ResponseStyle {
  const n = { good: 0, rough: 0, direct: 0, neutral: 0 };
  for (const w of instructionWords(instruction)) n[wordClass(w)]++;
  if (n.good >= 1 && n.good >= n.rough + n.direct) return 'worked';
  return n.rough > n.direct ? 'rough' : 'direct';
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function slotWord(rng: Rng, slot: Slot): string {
  let r = rng.next();
  for (const [cls, w] of CLASS_WEIGHTS) {
    if (r < w) return pick(rng, slot[cls]);
    r -= w;
  }
  return pick(rng, slot.neutral);
}

function phrase(rng: Rng): string {
  return `${pick(rng, DETERMINERS)} ${slotWord(rng, ADJECTIVES)} ${slotWord(rng, NOUNS)}`;
}

/** One training instruction: a phrase, maybe a second phrase or a closing sentence, ending in ".". */
export function sampleInstruction(rng: Rng): string {
  let text = phrase(rng);
  const r = rng.next();
  if (r < 0.2) text += ' and ' + phrase(rng);
  else if (r < 0.4) text += '. ' + pick(rng, CLOSERS);
  // One-token edits as the optimizer makes them: swap one or two words for any instruction word.
  if (rng.next() < 0.3) {
    const words = text.split(' ');
    const edits = rng.next() < 0.7 ? 1 : 2;
    for (let e = 0; e < edits; e++) {
      const i = rng.int(words.length);
      const tail = words[i].endsWith('.') ? '.' : '';
      words[i] = pick(rng, ALL_INSTRUCTION_WORDS) + tail;
    }
    text = words.join(' ');
  }
  return text + '.';
}
