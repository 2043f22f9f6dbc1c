// Reads a llama2.c "legacy" (version 0) checkpoint: 7 × int32 header, then fp32 tensors in run.c's
// order (see ../shared/models/stories260K/SOURCE.md), and maps it to Hugging Face LlamaForCausalLM
// tensor names and config keys. q/k rows are permuted from Meta's interleaved RoPE pairs to HF's
// rotate_half layout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Always positive here; `sharedClassifier` carries the sign from the file. */
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

export interface HfTensor { name: string; shape: number[]; data: Float32Array }

export interface Llama2cModel {
  header: Llama2cHeader;
  ropeTheta: number;
  tensors: HfTensor[];
}

const HEADER_BYTES = 7 * 4;
/** llama2.c's newer exports start with this magic ("ak42" read as a little-endian uint32). */
const VERSIONED_MAGIC = 0x616b3432;
/** Sanity bound on header fields so a wrong file fails fast instead of asking for terabytes. */
const MAX_FIELD = 1 << 20;

function describe(h: Llama2cHeader): string {
  return `dim=${h.dim} hidden_dim=${h.hiddenDim} n_layers=${h.nLayers} n_heads=${h.nHeads} n_kv_heads=${h.nKvHeads} vocab_size=${h.sharedClassifier ? '' : '-'}${h.vocabSize} seq_len=${h.seqLen}`;
}

function parseHeader(file: string, buf: Buffer): Llama2cHeader {
  const name = path.basename(file);
  if (buf.length < HEADER_BYTES) throw new UserError(`${name}: expected at least ${HEADER_BYTES} bytes (llama2.c header of 7 int32), got ${buf.length}`);
  if (buf.readUInt32LE(0) === VERSIONED_MAGIC) {
    throw new UserError(`${name}: this is a versioned llama2.c export (magic "ak42", version ${buf.readInt32LE(4)}); only the legacy version-0 format is supported (export with --version 0)`);
  }
  const f = [0, 1, 2, 3, 4, 5, 6].map((i) => buf.readInt32LE(i * 4));
  const h: Llama2cHeader = {
    dim: f[0], hiddenDim: f[1], nLayers: f[2], nHeads: f[3], nKvHeads: f[4], vocabSize: Math.abs(f[5]), seqLen: f[6], sharedClassifier: f[5] > 0,
  };
  const fields: [string, number][] = [['dim', h.dim], ['hidden_dim', h.hiddenDim], ['n_layers', h.nLayers], ['n_heads', h.nHeads], ['n_kv_heads', h.nKvHeads], ['vocab_size', h.vocabSize], ['seq_len', h.seqLen]];
  for (const [k, v] of fields) {
    if (!(v > 0 && v <= MAX_FIELD)) throw new UserError(`${name}: header field ${k}=${v} is out of range (expected 1..${MAX_FIELD}); is this a llama2.c checkpoint? (${describe(h)})`);
  }
  if (h.dim % h.nHeads !== 0) throw new UserError(`${name}: dim=${h.dim} is not divisible by n_heads=${h.nHeads}`);
  if (h.nHeads % h.nKvHeads !== 0) throw new UserError(`${name}: n_heads=${h.nHeads} is not divisible by n_kv_heads=${h.nKvHeads}`);
  if ((h.dim / h.nHeads) % 2 !== 0) throw new UserError(`${name}: head size ${h.dim / h.nHeads} is odd; RoPE needs pairs`);
  return h;
}

/** Float counts of each block in file order (run.c memory_map_weights). */
function layout(h: Llama2cHeader): [string, number][] {
  const hs = h.dim / h.nHeads;
  const L = h.nLayers;
  return [
    ['tok_embeddings', h.vocabSize * h.dim],
    ['rms_att_weight', L * h.dim],
    ['wq', L * h.dim * h.nHeads * hs],
    ['wk', L * h.dim * h.nKvHeads * hs],
    ['wv', L * h.dim * h.nKvHeads * hs],
    ['wo', L * h.nHeads * hs * h.dim],
    ['rms_ffn_weight', L * h.dim],
    ['w1', L * h.hiddenDim * h.dim],
    ['w2', L * h.dim * h.hiddenDim],
    ['w3', L * h.hiddenDim * h.dim],
    ['rms_final_weight', h.dim],
    ['freq_cis_real', (h.seqLen * hs) / 2],
    ['freq_cis_imag', (h.seqLen * hs) / 2],
    ...(h.sharedClassifier ? [] : [['wcls', h.vocabSize * h.dim] as [string, number]]),
  ];
}

/**
 * Interleaved -> rotate_half row order, per head: w.reshape(heads, hd/2, 2, in).transpose(1, 2).
 * New row (h, j, i) takes old row (h, i, j): even rows of a head become its first half, odd rows its second.
 */
export function permuteInterleavedToHalf(w: Float32Array, heads: number, headDim: number, inDim: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * headDim + i * 2 + j) * inDim;
        const dst = (h * headDim + j * half + i) * inDim;
        out.set(w.subarray(src, src + inDim), dst);
      }
    }
  }
  return out;
}

/**
 * The RoPE base the export used, read back from its cos/sin table (freq_i = theta^(-2i/hd) at pos 1),
 * then checked against the whole table. llama2.c's export always used 10000, but a table that
 * disagrees would mean silently wrong positions, so it is an error.
 */
function ropeThetaFromTable(name: string, h: Llama2cHeader, real: Float32Array, imag: Float32Array): number {
  const half = h.dim / h.nHeads / 2;
  let theta = 10000;
  if (half > 1 && h.seqLen > 1) {
    const freq1 = Math.atan2(imag[half + 1], real[half + 1]); // pos 1, i = 1
    const inferred = Math.pow(freq1, -half);
    if (Number.isFinite(inferred) && inferred > 1) {
      // fp32 sin/cos leave ~1e-5 relative error after the power; published bases have few significant digits.
      const unit = Math.pow(10, Math.floor(Math.log10(inferred)) - 3);
      const nice = Math.round(inferred / unit) * unit;
      theta = Math.abs(inferred - nice) / inferred < 1e-3 ? nice : inferred;
    }
  }
  // Angles grow with position, so compare with a tolerance scaled to fp32 rounding of pos·freq.
  for (let pos = 0; pos < h.seqLen; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(theta, (-2 * i) / (2 * half));
      const k = pos * half + i;
      const tol = 1e-4 + 2e-7 * Math.abs(angle);
      if (Math.abs(real[k] - Math.cos(angle)) > tol || Math.abs(imag[k] - Math.sin(angle)) > tol) {
        throw new UserError(`${name}: the RoPE table (freq_cis) at position ${pos}, pair ${i} does not match rope_theta=${theta}: got cos=${real[k]}, sin=${imag[k]}, expected ${Math.cos(angle)}, ${Math.sin(angle)}`);
      }
    }
  }
  return theta;
}

/** Reads a whole input file; a missing or unreadable one is a UserError naming it and what it was. */
export function readInputFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: ${what} file not found` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
}

export function readLlama2cCheckpoint(file: string): Llama2cModel {
  const name = path.basename(file);
  const buf = readInputFile(file, 'checkpoint');
  const h = parseHeader(file, buf);
  const blocks = layout(h);
  const expected = HEADER_BYTES + 4 * blocks.reduce((a, [, n]) => a + n, 0);
  if (buf.length !== expected) {
    throw new UserError(`${name}: expected ${expected} bytes for ${describe(h)} (${h.sharedClassifier ? 'shared' : 'separate'} classifier), got ${buf.length}; the file is truncated or not a legacy llama2.c export`);
  }
  // One aligned copy of all floats; every tensor below is a view or a fresh array cut from it.
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + HEADER_BYTES, buf.byteOffset + expected));
  const parts = new Map<string, Float32Array>();
  let off = 0;
  for (const [k, n] of blocks) {
    parts.set(k, floats.subarray(off, off + n));
    off += n;
  }
  const get = (k: string) => parts.get(k)!;
  const ropeTheta = ropeThetaFromTable(name, h, get('freq_cis_real'), get('freq_cis_imag'));

  const D = h.dim, F = h.hiddenDim, hs = D / h.nHeads, q = h.nHeads * hs, kv = h.nKvHeads * hs;
  const layer = (k: string, l: number, n: number) => get(k).slice(l * n, (l + 1) * n);
  const tensors: HfTensor[] = [{ name: 'model.embed_tokens.weight', shape: [h.vocabSize, D], data: get('tok_embeddings').slice() }];
  for (let l = 0; l < h.nLayers; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      { name: `${p}.input_layernorm.weight`, shape: [D], data: layer('rms_att_weight', l, D) },
      { name: `${p}.self_attn.q_proj.weight`, shape: [q, D], data: permuteInterleavedToHalf(layer('wq', l, q * D), h.nHeads, hs, D) },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, D], data: permuteInterleavedToHalf(layer('wk', l, kv * D), h.nKvHeads, hs, D) },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, D], data: layer('wv', l, kv * D) },
      { name: `${p}.self_attn.o_proj.weight`, shape: [D, q], data: layer('wo', l, D * q) },
      { name: `${p}.post_attention_layernorm.weight`, shape: [D], data: layer('rms_ffn_weight', l, D) },
      { name: `${p}.mlp.gate_proj.weight`, shape: [F, D], data: layer('w1', l, F * D) },
      { name: `${p}.mlp.up_proj.weight`, shape: [F, D], data: layer('w3', l, F * D) },
      { name: `${p}.mlp.down_proj.weight`, shape: [D, F], data: layer('w2', l, D * F) },
    );
  }
  tensors.push({ name: 'model.norm.weight', shape: [D], data: get('rms_final_weight').slice() });
  if (!h.sharedClassifier) tensors.push({ name: 'lm_head.weight', shape: [h.vocabSize, D], data: get('wcls').slice() });
  return { header: h, ropeTheta, tensors };
}

/** HF config.json for the checkpoint (LlamaForCausalLM; llama2.c's rmsnorm eps is 1e-5). */
export function llama2cHfConfig(m: Llama2cModel): Record<string, unknown> {
  const h = m.header;
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: h.vocabSize,
    hidden_size: h.dim,
    intermediate_size: h.hiddenDim,
    num_hidden_layers: h.nLayers,
    num_attention_heads: h.nHeads,
    num_key_value_heads: h.nKvHeads,
    head_dim: h.dim / h.nHeads,
    max_position_embeddings: h.seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: m.ropeTheta,
    rope_scaling: null,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    tie_word_embeddings: h.sharedClassifier,
    torch_dtype: 'float32',
    use_cache: true,
  };
}
