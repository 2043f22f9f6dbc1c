// Writes a seeded random tiny Llama (a real HF folder: config, safetensors, tokenizer) and a small jsonl
// task into <dir>, so the VS Code suites can drive real runs through the real worker and optimizer while
// the built-in demo model (issue 6) is not in the build. The model learns nothing; this tests plumbing.
// usage: node out/test-vscode/test/vscode/make-tiny-task.js <dir>
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeTinyModel } from '../helpers/tiny-models';

const dir = path.resolve(process.argv[2] ?? 'tiny');
fs.mkdirSync(dir, { recursive: true });
writeTinyModel(path.join(dir, 'model'), 'llama', { seed: 7 });
const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ question: `What is ${i} plus ${i % 7}?`, answer: String(i + (i % 7)) }));
fs.writeFileSync(path.join(dir, 'data.jsonl'), rows.join('\n') + '\n');
// the same task under keys the loader cannot guess: the panel's column mapper must be used
const odd = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i, problem: `What is ${i} plus ${i % 7}?`, solution: String(i + (i % 7)) }));
fs.writeFileSync(path.join(dir, 'odd.jsonl'), odd.join('\n') + '\n');
console.log(`tiny model and task in ${dir}`);
