// Dry-run check of an extractor against a few real completions: does the extractor text show up where
// the answer should follow, and can an answer be read after it? Catches a wrong preset or a custom
// text with a typo before hours of optimisation.
import { parseCompletion } from './answers';
import { Extractor } from './extractors';

export interface CompletionCheck {
  extractorFound: boolean;
  /** Canonical answer read after the last occurrence of the extractor, or null. */
  answer: string | null;
}

export interface ExtractorCheck {
  total: number;
  extractorFound: number;
  parsed: number;
  items: CompletionCheck[];
  /** Empty when everything looks fine; otherwise one actionable line per problem. */
  problems: string[];
}

/** Text after the last occurrence of the extractor (trailing spaces of the extractor may be merged into the next token), or null. */
export function textAfterExtractor(completion: string, extractor: Extractor): string | null {
  const exact = completion.lastIndexOf(extractor.text);
  if (exact >= 0) return completion.slice(exact + extractor.text.length);
  const trimmed = extractor.text.trimEnd();
  const k = trimmed === '' ? -1 : completion.lastIndexOf(trimmed);
  return k >= 0 ? completion.slice(k + trimmed.length) : null;
}

/**
 * `completions` are full texts that should contain the extractor followed by the model's answer
 * (reasoning + extractor + a few generated tokens, ALGORITHM §9 steps 1–2).
 */
export function checkExtractorMatches(completions: string[], extractor: Extractor): ExtractorCheck {
  const items = completions.map((c): CompletionCheck => {
    const after = textAfterExtractor(c, extractor);
    return { extractorFound: after !== null, answer: after === null ? null : parseCompletion(after, extractor.kind) };
  });
  const total = items.length;
  const found = items.filter((i) => i.extractorFound).length;
  const parsed = items.filter((i) => i.answer !== null).length;
  const problems: string[] = [];
  if (total === 0) {
    problems.push('no completions to check');
  } else if (found === 0) {
    problems.push(`the extractor text of '${extractor.id}' appears in none of the ${total} completions; ` +
      `it must be appended verbatim after the reasoning: ${JSON.stringify(extractor.text)}`);
  } else {
    if (found < total) problems.push(`the extractor text appears in only ${found} of ${total} completions`);
    if (parsed === 0) {
      problems.push(`no answer could be read after the extractor in any of the ${found} completions that contain it; ` +
        `the text must end where the answer starts (expected e.g. ${JSON.stringify(extractor.text + exampleAnswer(extractor))})`);
    } else if (parsed < found) {
      problems.push(`an answer could be read in only ${parsed} of ${found} completions that contain the extractor`);
    }
  }
  return { total, extractorFound: found, parsed, items, problems };
}

function exampleAnswer(ex: Extractor): string {
  switch (ex.kind.type) {
    case 'mcq': return ex.kind.letters[0];
    case 'binary': return ex.kind.choices[0];
    case 'integer': return '42';
    case 'text': return 'answer';
  }
}
