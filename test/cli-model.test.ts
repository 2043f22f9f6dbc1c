// The model CLI's documented output (generate / logits / grad) and its bad-input contract: each
// broken model folder or argument gives one clear line on stderr and a non-zero exit, never a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyModel } from './helpers/tiny-models';

const bin = path.resolve(__dirname, '../../bin/greater.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

function tinyDir(mutate?: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-cli-'));
  writeTinyModel(dir, 'llama', { seed: 5 });
  mutate?.(dir);
  return dir;
}

function expectOneLineError(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.notEqual(r.status, 0, `expected failure, got stdout ${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const editJson = (file: string, f: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(j);
  fs.writeFileSync(file, JSON.stringify(j));
};

test('missing model.safetensors', () => {
  const d = tinyDir((d) => fs.rmSync(path.join(d, 'model.safetensors')));
  expectOneLineError(['generate', '--model', d, '--ids', '1'], /model\.safetensors/);
});

test('truncated model.safetensors', () => {
  const d = tinyDir((d) => {
    const f = path.join(d, 'model.safetensors');
    fs.truncateSync(f, fs.statSync(f).size - 100);
  });
  expectOneLineError(['generate', '--model', d, '--ids', '1'], /model\.safetensors.*(truncated|expected|bytes)/i);
});

test('weight shape does not match config.json', () => {
  const d = tinyDir((d) => editJson(path.join(d, 'config.json'), (j) => (j.intermediate_size = 50)));
  expectOneLineError(['logits', '--model', d, '--ids', '1,2'], /gate_proj\.weight" has shape \[48,32\] but config\.json implies \[50,32\]/);
});

test('unknown model_type names the supported ones and the refused hybrids', () => {
  const d = tinyDir((d) => editJson(path.join(d, 'config.json'), (j) => (j.model_type = 'mamba')));
  expectOneLineError(['generate', '--model', d, '--ids', '1'], /model_type "mamba" is not supported \(supported model types: llama, qwen2, qwen3, gemma2, gemma3_text, gemma3, phi3, smollm3, granite, mistral, ministral; refused \(hybrid: needs recurrent state; not supported yet\): qwen3_5\*, .*gemma3n, gemma4, granitemoehybrid, lfm2\)/);
});

test('a hybrid model_type is refused by name, with the reason', () => {
  for (const [type, family] of [['qwen3_5_text', 'qwen3_5*'], ['gemma3n_text', 'gemma3n'], ['gemma4', 'gemma4'], ['granitemoehybrid', 'granitemoehybrid'], ['lfm2', 'lfm2']]) {
    const d = tinyDir((d) => editJson(path.join(d, 'config.json'), (j) => (j.model_type = type)));
    expectOneLineError(['generate', '--model', d, '--ids', '1'], new RegExp(`model_type "${type}" is a hybrid family \\(${family.replace('*', '\\*')}\\) that needs recurrent state; not supported yet \\(supported model types: llama, `));
  }
});

test('a vocabulary with regular tokens past vocab_size is refused', () => {
  const d = tinyDir((d) => editJson(path.join(d, 'config.json'), (j) => (j.vocab_size = 200)));
  expectOneLineError(['generate', '--model', d, '--ids', '1'], /tokenizer has \d+ tokens \(id 200 is a regular token\) but config\.json vocab_size is 200/);
});

test('missing tokenizer', () => {
  const d = tinyDir((d) => fs.rmSync(path.join(d, 'tokenizer.json')));
  expectOneLineError(['generate', '--model', d, '--prompt', 'hi'], /tokenizer\.json/);
});

test('token ids out of range', () => {
  const d = tinyDir();
  expectOneLineError(['logits', '--model', d, '--ids', '1,99999'], /token id 99999 is out of range/);
  expectOneLineError(['grad', '--model', d, '--ids', '1,2', '--targets', '0:99999', '--json'], /token id 99999 is out of range/);
});

test('malformed flags', () => {
  const d = tinyDir();
  expectOneLineError(['grad', '--model', d, '--ids', '1,2', '--targets', '0-5'], /not a P:ID pair/);
  expectOneLineError(['generate', '--model', d, '--ids', '1,x'], /'x' is not a token id/);
  expectOneLineError(['generate', '--model', d, '--ids', '1', '--device', 'tpu'], /unknown device 'tpu'; valid devices: auto, cpu, cuda, webgpu/);
  expectOneLineError(['generate', '--model', path.join(os.tmpdir(), 'no-such-model-folder'), '--ids', '1'], /no-such-model-folder/);
});

test('logits rows predict the next token: the last row\'s argmax is what generate produces', () => {
  const d = tinyDir();
  const ids = [5, 77, 140, 3];
  const r = run(['logits', '--model', d, '--ids', ids.join(','), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const { logits } = JSON.parse(r.stdout) as { logits: number[][] };
  const V = (JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
  assert.equal(logits.length, ids.length);
  logits.forEach((row) => assert.equal(row.length, V));
  const g = JSON.parse(run(['generate', '--model', d, '--ids', ids.join(','), '--max-new-tokens', '1', '--json']).stdout) as { ids: number[] };
  const last = logits[ids.length - 1];
  assert.equal(g.ids[0], last.indexOf(Math.max(...last)));
});

test('grad loss is the mean tempered cross-entropy of the logits; one gradient row per input position', () => {
  const d = tinyDir();
  const ids = [5, 77, 140, 3, 9];
  const targets: [number, number][] = [[2, 40], [4, 7]];
  const T = 0.5;
  const gr = run(['grad', '--model', d, '--ids', ids.join(','), '--targets', targets.map(([p, i]) => `${p}:${i}`).join(','), '--temperature', String(T), '--json']);
  assert.equal(gr.status, 0, gr.stderr);
  const { loss, grad } = JSON.parse(gr.stdout) as { loss: number; grad: number[][] };
  const { logits } = JSON.parse(run(['logits', '--model', d, '--ids', ids.join(','), '--json']).stdout) as { logits: number[][] };
  const ce = (row: number[], id: number) => {
    const z = row.map((x) => x / T);
    const m = Math.max(...z);
    return -(z[id] - m - Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0)));
  };
  const expected = targets.reduce((s, [p, id]) => s + ce(logits[p], id), 0) / targets.length;
  assert.ok(Math.abs(loss - expected) < 1e-4, `loss ${loss} vs ${expected}`);
  assert.equal(grad.length, ids.length);
  grad.forEach((row) => assert.equal(row.length, 32));
  // position 4 feeds the target read at row 4; position 0 feeds both targets
  assert.ok(grad[4].some((x) => x !== 0));
  assert.ok(grad[0].some((x) => x !== 0));
});

test('--device auto falls back to CPU and says why', () => {
  const d = tinyDir();
  const r = run(['generate', '--model', d, '--ids', '1,2', '--max-new-tokens', '2', '--device', 'auto']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /auto: using CPU \(cuda: .+; webgpu: .+\)/);
});

test('--quantize: a bad mode is one line before loading; int8 generation runs and gradients are the float32 ones', () => {
  const d = tinyDir();
  expectOneLineError(['generate', '--model', d, '--ids', '1', '--quantize', 'int9'], /unknown quantization 'int9'; valid: none, int8, int4, auto/);
  const ids = ['--ids', '5,77,140,3'];
  const q = run(['generate', '--model', d, ...ids, '--max-new-tokens', '8', '--quantize', 'int8', '--json']);
  assert.equal(q.status, 0, q.stderr);
  assert.equal((JSON.parse(q.stdout) as { ids: number[] }).ids.length, 8);
  const grad = (extra: string[]) => run(['grad', '--model', d, ...ids, '--targets', '2:3', '--json', ...extra]);
  const [g0, g8] = [grad([]), grad(['--quantize', 'int8'])];
  assert.equal(g8.status, 0, g8.stderr);
  assert.equal(g8.stdout, g0.stdout);
});

test('--precision: a bad value or fp16 on the CPU is one line', () => {
  const d = tinyDir();
  expectOneLineError(['generate', '--model', d, '--ids', '1', '--precision', 'fp8'], /unknown precision 'fp8'; valid: fp32, fp16, auto/);
  expectOneLineError(['generate', '--model', d, '--ids', '1', '--precision', 'fp16'], /--precision fp16 runs on WebGPU only \(--device webgpu\), not on cpu: .*; use --precision fp32/);
});
