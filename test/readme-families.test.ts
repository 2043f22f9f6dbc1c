// The README's table of supported families is the engine's own numbers: parameters from each family's
// tensor table for an example config, memory from the engine's estimate at fp32 and fp16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAMILY_EXAMPLES, familyTable } from '../src/engine/model/families/examples';
import { supportedModelTypes } from '../src/engine/model/families/index';

test('README lists every supported family with the engine-computed sizes', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const table = familyTable();
  assert.ok(readme.includes(table), `README.md should contain this table (regenerate it):\n${table}`);
  // Every family file has an example (gemma3 and ministral share gemma3_text's and mistral's files).
  const covered = new Set(FAMILY_EXAMPLES.map((e) => e.config.model_type));
  for (const t of supportedModelTypes()) if (!['gemma3', 'ministral'].includes(t)) assert.ok(covered.has(t), `no README example for ${t}`);
  // sanity of the estimate: Qwen3-0.6B has about 0.6B parameters (the count includes the tied embedding once)
  assert.match(table, /Qwen\/Qwen3-0\.6B \| 0\.60B/);
});
