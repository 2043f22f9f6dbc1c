// Prompt finder, literal escaping and the placeholder-preserving plan: the pure half of the extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decode, displayValue, encodeBody, encodeLiteral, type LiteralStyle, type Part } from '../src/extension/core/literal';
import { findLiterals, findPrompts, looksLikePrompt } from '../src/extension/core/promptFinder';
import { findPlaceholders, missingPlaceholders, planPrompt, replacementSource } from '../src/extension/core/promptPlan';
import { renderReplacement, sourceFromSite } from '../src/extension/core/source';

const fixtures = path.resolve(__dirname, '../../test/extension-fixtures');
const read = (f: string) => fs.readFileSync(path.join(fixtures, f), 'utf8');

const STYLES: LiteralStyle[] = [
  { lang: 'js', quote: "'" }, { lang: 'js', quote: '"' }, { lang: 'js', quote: '`' },
  { lang: 'py', quote: "'", prefix: '' }, { lang: 'py', quote: '"', prefix: '' },
  { lang: 'py', quote: "'''", prefix: '' }, { lang: 'py', quote: '"""', prefix: '' },
  { lang: 'py', quote: '"', prefix: 'f' }, { lang: 'py', quote: '"""', prefix: 'f' },
  { lang: 'py', quote: "'", prefix: 'r' }, { lang: 'py', quote: '"""', prefix: 'rf' },
];

const NASTY = [
  'plain words', "it's", 'say "hi"', 'back\\slash', 'trailing backslash\\', 'line\nbreak', 'crlf\r\nend', 'tab\there',
  'braces {not a placeholder} and }} {{', '${dollar}', 'tick ` mark', "'''triple'''", '"""', "ends with '", 'ends with "',
  'nul \0 and \x01 ctrl', 'unicode é ✓ 😀 \u2028', '$', '{', '}', '',
];

/** Evaluates a JS string literal exactly as JavaScript does. */
function jsEval(src: string): string {
  return new Function(`return ${src};`)() as string;
}

test('every quote style round-trips arbitrary text: decode(encode(text)) === text', () => {
  for (const style of STYLES) {
    for (const text of NASTY) {
      const parts: Part[] = text ? [{ kind: 'text', text }] : [];
      const lit = encodeLiteral(parts, style);
      const m = /^([a-zA-Z]*)('''|"""|'|"|`)([^]*)\2$/.exec(lit);
      assert.ok(m, `${JSON.stringify(style)}: not a literal: ${lit}`);
      const back = displayValue(decode(m![3], { ...style, ...(style.lang === 'py' ? { prefix: m![1] } : {}) } as LiteralStyle));
      assert.equal(back, text, `${JSON.stringify(style)} ${JSON.stringify(text)} -> ${lit}`);
      if (style.lang === 'js') assert.equal(jsEval(lit), text, `JS evaluates ${lit}`);
    }
  }
});

test('unchanged literals re-encode to their own source', () => {
  const cases: [string, LiteralStyle][] = [
    ['You are a helpful assistant.\\nAnswer briefly.', { lang: 'js', quote: "'" }],
    ["it\\'s \"fine\"", { lang: 'js', quote: "'" }],
    ['Question: ${q}\nThink step by step.', { lang: 'js', quote: '`' }],
    ['Answer {question} now.\\nAnswer:', { lang: 'py', quote: '"', prefix: 'f' }],
    ['Literal {{braces}} and {x!r:>{width}}', { lang: 'py', quote: '"', prefix: 'f' }],
    ["Don't stop.\nKeep going.\n", { lang: 'py', quote: '"""', prefix: '' }],
    ['\\d+ apples', { lang: 'py', quote: '"', prefix: 'r' }],
    ['caf\\N{LATIN SMALL LETTER E WITH ACUTE}', { lang: 'py', quote: "'", prefix: '' }],
  ];
  for (const [src, style] of cases) assert.equal(encodeBody(decode(src, style), style), src, src);
});

test('decoding follows each language: escapes, interpolations, raw strings, f-string braces', () => {
  assert.deepEqual(decode('a\\x41\\u0042\\u{1F600}\\\nb', { lang: 'js', quote: '"' }), [{ kind: 'text', text: 'aAB😀b' }]);
  assert.deepEqual(decode('Q: ${ask({a: "}"})} done', { lang: 'js', quote: '`' }),
    [{ kind: 'text', text: 'Q: ' }, { kind: 'verbatim', source: '${ask({a: "}"})}' }, { kind: 'text', text: ' done' }]);
  assert.deepEqual(decode('{{x}} {y:>{w}} \\101', { lang: 'py', quote: '"', prefix: 'f' }),
    [{ kind: 'text', text: '{x} ' }, { kind: 'verbatim', source: '{y:>{w}}' }, { kind: 'text', text: ' A' }]);
  assert.deepEqual(decode('a\\nb\\"', { lang: 'py', quote: '"', prefix: 'R' }), [{ kind: 'text', text: 'a\\nb\\"' }]);
  assert.throws(() => decode('bad } brace', { lang: 'py', quote: '"', prefix: 'f' }), /single \}/);
});

test('a raw Python string that cannot hold the new text drops the r flag instead of breaking the code', () => {
  const lit = encodeLiteral([{ kind: 'text', text: 'say "x"\n' }], { lang: 'py', quote: '"', prefix: 'r' });
  assert.equal(lit, '"say \\"x\\"\\n"');
});

test('TypeScript fixture: prompts found with exact ranges; paths, regexes, imports and short labels skipped', () => {
  const src = read('prompts.ts');
  const sites = findPrompts(src, 'typescript', 'prompts.ts');
  const got = sites.map((s) => src.slice(s.start, s.end));
  assert.deepEqual(got, [
    "'You are a careful assistant. Answer the question and explain your reasoning.'",
    '`Solve the following problem step by step.\nQuestion: ${question}\nGive the final answer after "Answer:".`',
    '"Be brief."',
    '"Classify the sentiment of the review {{review}} as positive or negative, then explain why."',
    '"it\'s a \\"quoted\\" word and a backslash \\\\ in a prompt-like sentence here"',
  ]);
  assert.equal(sites[0].name, 'systemPrompt');
  assert.equal(sites[2].marker, true);
  assert.equal(sites[4].value, 'it\'s a "quoted" word and a backslash \\ in a prompt-like sentence here');
  // the regex literal's quotes were not taken for a string
  assert.ok(!findLiterals(src, 'js').some((l) => src.slice(l.start, l.end) === '"not a string"'));
});

test('Python fixture: str, f-string, triple-quoted and raw found; docstrings and dict keys skipped', () => {
  const src = read('prompts.py');
  const sites = findPrompts(src, 'python', 'prompts.py');
  assert.deepEqual(sites.map((s) => src.slice(s.start, s.end)), [
    '"You are a helpful assistant that answers questions about dates and times."',
    'f"Answer the question below and think it through carefully.\\nQuestion: {question}\\nAnswer:"',
    '"""Read the passage and answer the question.\nThink step by step, then give the answer as a single word.\n"""',
    'r"\\d+ apples and \\d+ oranges are counted by this regular expression text"',
    "'Be concise.'",
  ]);
  assert.deepEqual(sites.map((s) => s.style), [
    { lang: 'py', quote: '"', prefix: '' }, { lang: 'py', quote: '"', prefix: 'f' },
    { lang: 'py', quote: '"""', prefix: '' }, { lang: 'py', quote: '"', prefix: 'r' }, { lang: 'py', quote: "'", prefix: '' },
  ]);
});

test('prompt files: .prompty body after the front matter; .md only when named or marked', () => {
  const src = read('task.prompty');
  const [site] = findPrompts(src, 'plaintext', '/x/task.prompty');
  assert.equal(src.slice(site.start, site.end), 'system:\nYou are an expert classifier. Decide whether the statement is true or false.\n\nuser:\n{{question}}');
  assert.deepEqual(findPrompts('# Readme\n\nSome docs here that are long enough to look like prose.', 'markdown', 'README.md'), []);
  const marked = '# Notes\n<!-- greater-prompt -->\nSummarise the text in one line.\n';
  const [m] = findPrompts(marked, 'markdown', 'notes.md');
  assert.equal(marked.slice(m.start, m.end), 'Summarise the text in one line.');
  assert.equal(findPrompts('Answer with yes or no.\n', 'plaintext', 'judge.prompt.txt').length, 1);
});

test('prompt-likeness: names help, code-ish strings do not count', () => {
  assert.equal(looksLikePrompt('Summarise this.', 'summaryPrompt'), true);
  assert.equal(looksLikePrompt('Summarise this.', 'label'), false);
  assert.equal(looksLikePrompt('https://example.com/a/long/path/that/is/not/a/prompt', undefined), false);
  assert.equal(looksLikePrompt('SELECT name FROM users WHERE id = 1 AND status = active', undefined), false);
  assert.equal(looksLikePrompt('Explain the answer to the question in three short sentences.', undefined), true);
});

test('placeholders of every convention are found and kept out of the optimised span', () => {
  const parts = decode('Q: {question}\\nUse {{style}} and ${x}. Think step by step.', { lang: 'py', quote: '"', prefix: '' });
  const ph = findPlaceholders(parts);
  assert.deepEqual(ph.map((p) => [p.text, p.kind, p.name]), [
    ['{question}', 'brace', 'question'], ['{{style}}', 'mustache', 'style'], ['${x}', 'dollar', 'x'],
  ]);
  const plan = planPrompt(parts);
  assert.equal(plan.optimizable, '. Think step by step.');
  assert.deepEqual(plan.context, { prefix: 'Q: {question}\nUse {{style}} and ${x}', suffix: '', questionPlaceholder: '{question}' });
  // in an f-string, {x} is an interpolation and {{…}} a literal brace
  const f = findPlaceholders(decode('{question} {{lit}}', { lang: 'py', quote: '"', prefix: 'f' }));
  assert.deepEqual(f.map((p) => [p.text, p.kind]), [['{question}', 'interpolation'], ['{lit}', 'brace']]);
});

test('replacement keeps the f-string {question} interpolation and re-escapes for the quote style', () => {
  const style: LiteralStyle = { lang: 'py', quote: '"', prefix: 'f' };
  const src = 'Answer the question below and think it through carefully.\\nQuestion: {question}\\nAnswer:';
  const plan = planPrompt(decode(src, style));
  assert.equal(plan.optimizable, 'Answer the question below and think it through carefully.');
  assert.equal(plan.context.questionPlaceholder, '{question}');
  const out = replacementSource(plan, 'Say "why" {briefly}.\nThen', style);
  assert.equal(out, 'f"Say \\"why\\" {{briefly}}.\\nThen\\nQuestion: {question}\\nAnswer:"');
  const back = decode(out.slice(2, -1), style);
  assert.deepEqual(missingPlaceholders(plan.placeholders.map((p) => p.text), back), []);
  assert.equal(replacementSource(plan, plan.optimizable, style), 'f"' + src + '"', 'unchanged prompt → unchanged source');
});

test('a template literal replacement keeps ${question} and escapes backticks', () => {
  const style: LiteralStyle = { lang: 'js', quote: '`' };
  const plan = planPrompt(decode('Solve it.\nQuestion: ${question}\nGive the final answer.', style));
  assert.equal(plan.optimizable, 'Give the final answer.');
  const out = replacementSource(plan, 'Use `code` and ${money}.', style);
  assert.equal(out, '`Solve it.\nQuestion: ${question}\nUse \\`code\\` and \\${money}.`');
  const question = 'Q?';
  assert.equal(new Function('question', `return ${out};`)(question), 'Solve it.\nQuestion: Q?\nUse `code` and ${money}.');
});

test('.prompty role lines (system:, user:) stay outside the optimised span and survive a replacement', () => {
  const src = read('task.prompty');
  const doc = { uri: 'file:///x/task.prompty', fileName: '/x/task.prompty', languageId: 'prompty', text: src };
  const [site] = findPrompts(src, 'prompty', doc.fileName);
  const source = sourceFromSite(doc, site);
  assert.equal(source.optimizable, 'You are an expert classifier. Decide whether the statement is true or false.');
  assert.match(source.context.prefix, /^system:\n$/);
  assert.match(source.context.suffix, /^\n\nuser:\n\{\{question\}\}$/);
  assert.equal(source.context.questionPlaceholder, '{{question}}');
  const out = renderReplacement(source, 'Say true or false.');
  assert.equal(out, 'system:\nSay true or false.\n\nuser:\n{{question}}');
  // a role word inside a sentence is prose, not a role line
  const [inline] = findPrompts('---\nname: x\n---\nsystem:\nThe user: someone who asks.\n', 'prompty', 'a.prompty');
  assert.equal(sourceFromSite({ ...doc, text: 'x' }, inline).optimizable, 'The user: someone who asks.');
});

test('.md/.txt prompts: a file under a prompts/ folder is a prompt, a README elsewhere is not', () => {
  const body = 'Summarise the text below in one line, keeping every number.\n';
  assert.equal(findPrompts(body, 'markdown', '/ws/prompts/summarise.md').length, 1);
  assert.equal(findPrompts(body, 'markdown', 'C:\\ws\\.github\\prompts\\review.md').length, 1);
  assert.equal(findPrompts(body, 'plaintext', '/ws/prompt/judge.txt').length, 1);
  assert.deepEqual(findPrompts(body, 'markdown', '/ws/docs/README.md'), []);
  assert.deepEqual(findPrompts(body, 'markdown', '/ws/prompts/docs/README.md'), [], 'only the folder the file lies in counts');
});
