// llama2.c -> Hugging Face conversion: the converted weights equal the .bin floats (with the RoPE row
// permutation undone), config.json carries SOURCE.md's keys, the CLI works end to end, and bad inputs
// fail with one line naming the file. Synthetic checkpoints cover the untied classifier and other RoPE bases.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertLlama2c } from '../src/engine/convert/llama2c';
import { llama2cHfConfig, readLlama2cCheckpoint } from '../src/engine/convert/llama2c-checkpoint';
import { loadWeightsDir } from '../src/engine/weights/safetensors';
import { UserError } from '../src/engine';
import { Prng } from './helpers/prng';

const repoRoot = path.resolve(__dirname, '..', '..');
const bin = path.join(repoRoot, 'bin', 'greater.js');
const modelDir = path.resolve(repoRoot, '..', 'shared', 'models', 'stories260K');
const ckpt = path.join(modelDir, 'stories260K.bin');
const tokFile = path.join(modelDir, 'tok512.bin');
const present = fs.existsSync(ckpt) && fs.existsSync(tokFile);
if (!present) console.log(`# skipping stories260K conversion tests: ${modelDir} is absent`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-l2c-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `d${n++}`);

// Byte offsets of each block in stories260K.bin, as tabulated in SOURCE.md.
const OFFSETS = { tok: 28, rmsAtt: 131100, wq: 132380, wk: 214300, wv: 255260, wo: 296220, rmsFfn: 378140, w1: 379420, w2: 599580, w3: 819740, rmsFinal: 1039900 };

function floatsAt(buf: Buffer, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = buf.readFloatLE(offset + 4 * i);
  return out;
}

test('stories260K: every converted tensor equals the .bin floats; q/k rows follow rotate_half order', { skip: !present }, () => {
  const out = fresh();
  convertLlama2c({ checkpoint: ckpt, tokenizer: tokFile, out });
  const w = loadWeightsDir(out);
  const raw = fs.readFileSync(ckpt);
  const L = 5, D = 64, F = 172, hd = 8;
  assert.equal(w.size, 2 + 9 * L, 'embed + final norm + 9 per layer, no lm_head');
  assert.ok(!w.has('lm_head.weight'));
  assert.deepEqual(w.get('model.embed_tokens.weight')!.data, floatsAt(raw, OFFSETS.tok, 512 * D));
  assert.deepEqual(w.get('model.norm.weight')!.data, floatsAt(raw, OFFSETS.rmsFinal, D));
  const plain: [string, keyof typeof OFFSETS, number][] = [
    ['input_layernorm.weight', 'rmsAtt', D], ['post_attention_layernorm.weight', 'rmsFfn', D],
    ['self_attn.v_proj.weight', 'wv', 32 * D], ['self_attn.o_proj.weight', 'wo', D * D],
    ['mlp.gate_proj.weight', 'w1', F * D], ['mlp.down_proj.weight', 'w2', D * F], ['mlp.up_proj.weight', 'w3', F * D],
  ];
  for (let l = 0; l < L; l++) {
    for (const [suffix, block, count] of plain) {
      assert.deepEqual(w.get(`model.layers.${l}.${suffix}`)!.data, floatsAt(raw, OFFSETS[block] + 4 * l * count, count), `layer ${l} ${suffix}`);
    }
    for (const [proj, block, heads] of [['q', 'wq', 8], ['k', 'wk', 4]] as const) {
      const rows = heads * hd;
      const orig = floatsAt(raw, OFFSETS[block] + 4 * l * rows * D, rows * D);
      const conv = w.get(`model.layers.${l}.self_attn.${proj}_proj.weight`)!;
      assert.deepEqual(conv.shape, [rows, D]);
      // HF row h*hd + r: r < hd/2 holds the first element (2r) of pair r, r >= hd/2 the second (2(r-hd/2)+1).
      for (let h = 0; h < heads; h++) {
        for (let r = 0; r < hd; r++) {
          const src = h * hd + (r < hd / 2 ? 2 * r : 2 * (r - hd / 2) + 1);
          assert.deepEqual(conv.data.subarray((h * hd + r) * D, (h * hd + r + 1) * D), orig.subarray(src * D, (src + 1) * D), `layer ${l} ${proj} head ${h} row ${r}`);
        }
      }
      assert.notDeepEqual(conv.data, orig, 'permutation is not the identity');
    }
  }
});

test('stories260K: config.json has the keys SOURCE.md lists', { skip: !present }, () => {
  const out = fresh();
  const config = convertLlama2c({ checkpoint: ckpt, tokenizer: tokFile, out });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')), config);
  const want = {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: 512, hidden_size: 64, intermediate_size: 172,
    num_hidden_layers: 5, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 8, max_position_embeddings: 512,
    rms_norm_eps: 1e-5, rope_theta: 10000, hidden_act: 'silu', bos_token_id: 1, eos_token_id: 2, tie_word_embeddings: true,
  };
  for (const [k, v] of Object.entries(want)) assert.deepEqual(config[k], v, k);
  const tc = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8'));
  assert.equal(tc.add_bos_token, true);
  assert.equal(tc.bos_token, '<s>');
  assert.equal(tc.eos_token, '</s>');
});

test('CLI: greater convert llama2c writes the folder and refuses a non-empty one', { skip: !present }, () => {
  const out = fresh();
  const args = [bin, 'convert', 'llama2c', '--checkpoint', ckpt, '--tokenizer', tokFile, '--out', out];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr.trim(), /folder is not empty .*--force/);
  assert.equal(again.stderr.trim().split('\n').length, 1);
  assert.equal(spawnSync(process.execPath, [...args, '--force'], { encoding: 'utf8' }).status, 0);
  const bad = spawnSync(process.execPath, [bin, 'convert', 'gguf'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown format 'gguf'; known formats: llama2c/);
  const missing = spawnSync(process.execPath, [bin, 'convert', 'llama2c', '--checkpoint', ckpt, '--out', fresh()], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /--tokenizer is required/);
});

function assertUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('bad inputs: truncated checkpoint, mismatched or truncated tokenizer, missing files', { skip: !present }, () => {
  const dir = fresh();
  fs.mkdirSync(dir);
  const cut = path.join(dir, 'stories260K.bin');
  fs.writeFileSync(cut, fs.readFileSync(ckpt).subarray(0, 1000000));
  assertUserError(() => convertLlama2c({ checkpoint: cut, tokenizer: tokFile, out: fresh() }),
    /^stories260K\.bin: expected 1056540 bytes for dim=64 hidden_dim=172 n_layers=5 n_heads=8 n_kv_heads=4 vocab_size=512 seq_len=512 .*got 1000000/);
  const tokCut = path.join(dir, 'tok512.bin');
  fs.writeFileSync(tokCut, fs.readFileSync(tokFile).subarray(0, 3000));
  assertUserError(() => convertLlama2c({ checkpoint: ckpt, tokenizer: tokCut, out: fresh() }), /^tok512\.bin: file ends at byte 3000 inside token \d+ of 512/);
  const tokLong = path.join(dir, 'tok-extra.bin');
  fs.writeFileSync(tokLong, Buffer.concat([fs.readFileSync(tokFile), Buffer.alloc(9)]));
  assertUserError(() => convertLlama2c({ checkpoint: ckpt, tokenizer: tokLong, out: fresh() }), /^tok-extra\.bin: 9 bytes remain after 512 tokens/);
  assertUserError(() => convertLlama2c({ checkpoint: path.join(dir, 'none.bin'), tokenizer: tokFile, out: fresh() }), /none\.bin: checkpoint file not found/);
  const out = fresh();
  assertUserError(() => convertLlama2c({ checkpoint: ckpt, tokenizer: path.join(dir, 'none.bin'), out }), /none\.bin: tokenizer file not found/);
  assert.ok(!fs.existsSync(out), 'nothing written when an input is bad');
});

/** A legacy llama2.c checkpoint written from scratch, with a valid RoPE table for `theta`. */
function syntheticCheckpoint(file: string, h: { dim: number; hidden: number; layers: number; heads: number; kv: number; vocab: number; seq: number }, theta: number): Float32Array {
  const hs = h.dim / h.heads, V = Math.abs(h.vocab);
  const body = V * h.dim + h.layers * (2 * h.dim + h.dim * h.dim + 2 * h.dim * h.kv * hs + h.dim * h.dim + 3 * h.dim * h.hidden) + h.dim;
  const weights = new Prng(7).normals(body, 1);
  const rope = new Float32Array(h.seq * hs);
  for (let p = 0; p < h.seq; p++) {
    for (let i = 0; i < hs / 2; i++) {
      const a = p * Math.pow(theta, (-2 * i) / hs);
      rope[p * (hs / 2) + i] = Math.cos(a);
      rope[(h.seq * hs) / 2 + p * (hs / 2) + i] = Math.sin(a);
    }
  }
  const cls = h.vocab < 0 ? new Prng(8).normals(V * h.dim, 1) : new Float32Array(0);
  const header = Buffer.alloc(28);
  [h.dim, h.hidden, h.layers, h.heads, h.kv, h.vocab, h.seq].forEach((v, i) => header.writeInt32LE(v, 4 * i));
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(weights.buffer), Buffer.from(rope.buffer), Buffer.from(cls.buffer)]));
  return cls;
}

test('negative vocab_size: separate classifier becomes lm_head.weight and tie_word_embeddings false', () => {
  const file = path.join(root, 'untied.bin');
  const cls = syntheticCheckpoint(file, { dim: 16, hidden: 24, layers: 2, heads: 4, kv: 2, vocab: -20, seq: 12 }, 10000);
  const m = readLlama2cCheckpoint(file);
  const config = llama2cHfConfig(m);
  assert.equal(config.tie_word_embeddings, false);
  assert.equal(config.vocab_size, 20);
  const head = m.tensors.find((t) => t.name === 'lm_head.weight')!;
  assert.deepEqual(head.shape, [20, 16]);
  assert.deepEqual(head.data, cls);
  assert.equal(m.tensors.length, 2 + 9 * 2 + 1);
});

test('rope_theta is read back from the freq_cis table; a table matching no base is refused', () => {
  const file = path.join(root, 'theta.bin');
  syntheticCheckpoint(file, { dim: 16, hidden: 8, layers: 1, heads: 2, kv: 1, vocab: 10, seq: 64 }, 500000);
  assert.equal(llama2cHfConfig(readLlama2cCheckpoint(file)).rope_theta, 500000);
  const buf = fs.readFileSync(file);
  const ropeStart = buf.length - 4 * 64 * 8;
  buf.writeFloatLE(0.5, ropeStart + 4 * (40 * 4 + 3)); // corrupt cos at position 40, pair 3
  fs.writeFileSync(file, buf);
  assertUserError(() => readLlama2cCheckpoint(file), /theta\.bin: the RoPE table \(freq_cis\) at position 40, pair 3 does not match rope_theta=500000/);
});

test('header checks: versioned export and impossible head layout', () => {
  const v1 = path.join(root, 'v1.bin');
  const b = Buffer.alloc(256);
  b.writeUInt32LE(0x616b3432, 0);
  b.writeInt32LE(1, 4);
  fs.writeFileSync(v1, b);
  assertUserError(() => readLlama2cCheckpoint(v1), /v1\.bin: this is a versioned llama2\.c export .*version 1.*legacy version-0/);
  const odd = path.join(root, 'odd.bin');
  const h = Buffer.alloc(28);
  [30, 8, 1, 4, 2, 10, 8].forEach((v, i) => h.writeInt32LE(v, 4 * i));
  fs.writeFileSync(odd, h);
  assertUserError(() => readLlama2cCheckpoint(odd), /odd\.bin: dim=30 is not divisible by n_heads=4/);
});

/** y = W x for row-major W [rows, cols]. */
function matvec(w: Float32Array, rows: number, cols: number, x: Float32Array): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[c]; y[r] = s; }
  return y;
}

/** Meta's RoPE on pairs (2i, 2i+1) vs HF's rotate_half on pairs (i, i + hd/2); both with theta 10000. */
function ropeInterleaved(v: Float64Array, heads: number, hd: number, pos: number): Float64Array {
  const o = new Float64Array(v.length);
  for (let h = 0; h < heads; h++) for (let i = 0; i < hd / 2; i++) {
    const a = pos * Math.pow(10000, (-2 * i) / hd), x = v[h * hd + 2 * i], y = v[h * hd + 2 * i + 1];
    o[h * hd + 2 * i] = x * Math.cos(a) - y * Math.sin(a);
    o[h * hd + 2 * i + 1] = x * Math.sin(a) + y * Math.cos(a);
  }
  return o;
}
function ropeHalf(v: Float64Array, heads: number, hd: number, pos: number): Float64Array {
  const o = new Float64Array(v.length);
  for (let h = 0; h < heads; h++) for (let i = 0; i < hd / 2; i++) {
    const a = pos * Math.pow(10000, (-2 * i) / hd), x = v[h * hd + i], y = v[h * hd + i + hd / 2];
    o[h * hd + i] = x * Math.cos(a) - y * Math.sin(a);
    o[h * hd + i + hd / 2] = x * Math.sin(a) + y * Math.cos(a);
  }
  return o;
}

test('stories260K: attention scores after RoPE are the same in llama2.c and HF layouts', { skip: !present }, () => {
  const out = fresh();
  convertLlama2c({ checkpoint: ckpt, tokenizer: tokFile, out });
  const w = loadWeightsDir(out);
  const raw = fs.readFileSync(ckpt);
  const D = 64, hd = 8, l = 3;
  const wq = floatsAt(raw, OFFSETS.wq + 4 * l * D * D, D * D);
  const wk = floatsAt(raw, OFFSETS.wk + 4 * l * 32 * D, 32 * D);
  const wqHf = w.get(`model.layers.${l}.self_attn.q_proj.weight`)!.data;
  const wkHf = w.get(`model.layers.${l}.self_attn.k_proj.weight`)!.data;
  const emb = w.get('model.embed_tokens.weight')!.data;
  const x1 = emb.subarray(403 * D, 404 * D), x2 = emb.subarray(378 * D, 379 * D);
  for (const [pq, pk] of [[5, 2], [17, 0], [100, 99]]) {
    const qa = ropeInterleaved(matvec(wq, D, D, x1), 8, hd, pq), ka = ropeInterleaved(matvec(wk, 32, D, x2), 4, hd, pk);
    const qb = ropeHalf(matvec(wqHf, D, D, x1), 8, hd, pq), kb = ropeHalf(matvec(wkHf, 32, D, x2), 4, hd, pk);
    for (let h = 0; h < 8; h++) {
      const kvh = Math.floor(h / 2);
      let sa = 0, sb = 0;
      for (let d = 0; d < hd; d++) { sa += qa[h * hd + d] * ka[kvh * hd + d]; sb += qb[h * hd + d] * kb[kvh * hd + d]; }
      assert.ok(Math.abs(sa - sb) < 1e-9 * Math.max(1, Math.abs(sa)), `head ${h} positions ${pq},${pk}: ${sa} vs ${sb}`);
    }
  }
});
