// Shared transformer pieces (RMSNorm, linear, rotary attention with GQA and a KV cache, gated MLP) that
// the family files compose. Weights are graph inputs named "w.<HF tensor name>", so one copy in memory
// serves every session and training can differentiate with respect to them.
//
// Letters: B batch, S new tokens, P cached tokens, T = P + S keys, H hidden, I intermediate,
// nH query heads, kv key/value heads, rep = nH / kv, hd head dim, V vocab.
import { DType, Dim, Value } from '../graph/graph';
import { Graph } from '../graph/ops';
import { ModelConfig, RopeKind } from './config';
import { LINEAR_WEIGHT, QuantizedMatrix } from './quantize';

export const W = (name: string): string => `w.${name}`;
export const layerPrefix = (i: number): string => `model.layers.${i}`;

/**
 * Where each weight lives in an external data file, by HF name; `<name>#T` is a matrix stored transposed,
 * [in, out] (see productWeight).
 */
export type ResidentWeights = ReadonlyMap<string, { location: string; offset: number; length: number }>;

/** The key of a matrix's transposed copy in ResidentWeights. */
export const TRANSPOSED = (name: string): string => `${name}#T`;

/**
 * How resident weights are stored: matrices that only multiply activations (x·Wᵀ: the projections and an untied
 * head) only transposed; the tied embedding table both ways (rows for the lookup, transposed for the head).
 */
export function residentLayout(name: string, tied: boolean): { original: boolean; transposed: boolean } {
  const product = LINEAR_WEIGHT.test(name) || name === 'lm_head.weight';
  return { original: !product, transposed: product || (tied && name === 'model.embed_tokens.weight') };
}

/**
 * Linear weights replaced by block-quantized copies (generation only), by HF name; a tied head is under
 * "lm_head.weight". `accuracyLevel` is MatMulNBits' attribute: 4 lets onnxruntime quantize the activations to
 * int8 per block (its fast CPU path), 0 keeps them float.
 */
export interface QuantizedWeights {
  matrices: ReadonlyMap<string, QuantizedMatrix>;
  accuracyLevel: number;
}

/** cos/sin of one rotary table: [B,1,1,S,rd] for q and [B,1,S,rd] for k (rotate_half layout), broadcast over heads. */
export interface RotaryInputs { cosQ: Value; sinQ: Value; cosK: Value; sinK: Value }

export interface AttentionInputs {
  /** The rotary tables some layer reads (global, and Gemma 3's local one). */
  rope: Partial<Record<RopeKind, RotaryInputs>>;
  /** [B,1,1,S,T] additive masks (0 or -inf): full and sliding-window attention. */
  biasFull: Value;
  biasSliding: Value | null;
  /** Per layer [B,kv,P,hd], or null when the graph has no cache (gradient graphs). */
  pastK: Value[] | null;
  pastV: Value[] | null;
}

/** How a family's attention differs from Llama's; each field is a quirk the family file sets explicitly. */
export interface AttentionOptions {
  /** tanh soft-cap of the scores (Gemma 2). */
  softcap?: number;
  /** One fused qkv_proj [(nH + 2·kv)·hd, H], split into q | k | v (Phi-3). */
  fusedQkv?: boolean;
  /** RMSNorm over head_dim on q and k before RoPE (Qwen3: w; Gemma 3: 1 + w). */
  qkNorm?: 'w' | 'onePlusW';
}

export interface MlpOptions {
  /** One fused gate_up_proj [2I, H]: gate is the first half, up the second (Phi-3). */
  fusedGateUp?: boolean;
}

/**
 * Numeric formats of a graph. `dtype` is its interface (inputs, outputs, the residual stream, norms, softmax and
 * the loss); `compute` is what weights are stored in and what matrix products run in: 'float16' on a GPU
 * (half the weight memory), the same as `dtype` otherwise (then no Cast node is added anywhere).
 */
export interface LayerNumerics {
  resident?: ResidentWeights;
  quant?: QuantizedWeights;
  compute?: DType;
}

export class LayerBuilder {
  readonly newK: Value[] = [];
  readonly newV: Value[] = [];
  /** Keys/values over cache + new tokens per layer: the full present, for caches that stay on the device. */
  readonly allK: Value[] = [];
  readonly allV: Value[] = [];
  private readonly weights = new Map<string, Value>();
  private readonly casts = new Map<Value, Value>();
  private readonly resident?: ResidentWeights;
  private readonly quant?: QuantizedWeights;
  /** Weights and matrix products (see LayerNumerics). */
  readonly compute: DType;

  constructor(
    readonly g: Graph, readonly cfg: ModelConfig, readonly dtype: DType, readonly att: AttentionInputs,
    readonly expectedShapes: ReadonlyMap<string, number[]>, numerics: LayerNumerics = {},
  ) {
    this.resident = numerics.resident;
    this.quant = numerics.quant;
    this.compute = numerics.compute ?? dtype;
  }

  /** `v` in the compute format (one Cast per value, shared by every use; none when the formats agree). */
  toCompute(v: Value): Value {
    return this.castTo(v, this.compute);
  }
  /** `v` in the interface format. */
  toIo(v: Value): Value {
    return this.castTo(v, this.dtype);
  }
  private castTo(v: Value, dtype: DType): Value {
    if (v.dtype === dtype) return v;
    let c = this.casts.get(v);
    if (!c) {
      c = this.g.cast(v, dtype);
      this.casts.set(v, c);
    }
    return c;
  }

  /**
   * The weight for an HF tensor name, declared on first use with its expected shape: a graph input (one
   * host copy shared by all sessions, changeable for training), or, with resident weights, an initializer
   * in an external data file that the session loads once (no per-run transfer: what a GPU needs).
   */
  weight(name: string): Value {
    return this.declared(name, name, false);
  }
  /** The graph value for `key` (a weight, or its transposed copy), declared once. */
  private declared(key: string, name: string, transposed: boolean): Value {
    let v = this.weights.get(key);
    if (!v) {
      const shape = this.expectedShapes.get(name);
      if (!shape) throw new Error(`internal: weight ${name} is used by the graph but not in the family's weight table`);
      const dims = transposed ? [shape[1], shape[0]] : shape;
      const ext = this.resident?.get(key);
      v = ext ? this.g.constant({ dtype: this.compute, dims, data: new Float32Array(0), external: ext }, W(key)) : this.g.input(W(key), this.compute, dims);
      this.weights.set(key, v);
    }
    return v;
  }
  /** Weights fed as graph inputs (all of them unless resident). */
  weightInputs(): Value[] {
    return [...this.weights.values()].filter((v) => !v.constant);
  }

  c(x: number): Value {
    return this.g.scalar(this.dtype, x);
  }
  /** A constant in the compute format. */
  private cc(x: number): Value {
    return this.g.scalar(this.compute, x);
  }

  /**
   * x / √(mean(x²) + eps) · w, or · (1 + w) for Gemma. Written in the form ORT fuses. Always computed in the
   * interface format (a half-precision mean of squares loses the small components), whatever x arrives in.
   */
  rmsNorm(x: Value, name: string, plusOne = false): Value {
    const g = this.g;
    return g.scope(name, () => {
      x = this.toIo(x);
      const ms = g.reduceMean(g.pow(x, this.c(2)), [-1], true);
      const n = g.div(x, g.sqrt(g.add(ms, this.c(this.cfg.rmsNormEps))));
      const w = this.toIo(this.weight(`${name}.weight`));
      return g.mul(n, plusOne ? g.add(w, this.c(1)) : w);
    });
  }

  /** y = x Wᵀ (+ b) for W in HF's [out, in] layout; x in the compute format. */
  linear(x: Value, name: string, bias = false): Value {
    const g = this.g;
    return g.scope(name, () => {
      const y = this.quantizedProduct(x, `${name}.weight`) ?? g.matmul(x, this.productWeight(`${name}.weight`));
      return bias ? g.add(y, this.weight(`${name}.bias`)) : y;
    });
  }

  /**
   * Wᵀ, [in, out], for y = x·Wᵀ. Resident weights are stored so (a plain MatMul over a prepacked [in, out]
   * matrix decodes one row 2–3× faster on CPU than onnxruntime's fused x·Wᵀ, which also keeps one thread
   * busy: measured at Qwen2.5-0.5B's shapes); weights fed as inputs are transposed in the graph.
   */
  productWeight(name: string): Value {
    return this.resident?.has(TRANSPOSED(name)) ? this.declared(TRANSPOSED(name), name, true) : this.g.transpose(this.weight(name), [1, 0]);
  }

  /** x Wᵀ through MatMulNBits when `name` has a quantized copy (its packed tensors become initializers), else null. */
  quantizedProduct(x: Value, name: string): Value | null {
    const q = this.quant?.matrices.get(name);
    if (!q) return null;
    const g = this.g;
    const kBlocks = Math.ceil(q.K / q.blockSize);
    const packed = g.constant({ dtype: 'uint8', dims: [q.N, kBlocks, (q.blockSize * q.bits) / 8], data: q.packed }, `q.${name}`);
    const scales = g.constant({ dtype: 'float32', dims: [q.N * kBlocks], data: q.scales }, `q.${name}.scales`);
    const zeroPoints = g.constant({ dtype: 'uint8', dims: [q.N, q.zeroPoints.length / q.N], data: q.zeroPoints }, `q.${name}.zero_points`);
    return g.matMulNBits(x, packed, scales, zeroPoints, { K: q.K, N: q.N, bits: q.bits, blockSize: q.blockSize, accuracyLevel: this.quant!.accuracyLevel });
  }

  /**
   * rotate_half RoPE on the first rd = rotaryDim dims: x_r·cos + [-x₂, x₁]·sin with x_r = [x₁, x₂];
   * dims past rd pass through unrotated (Phi-3's partial_rotary_factor).
   */
  private rope(x: Value, cos: Value, sin: Value): Value {
    const g = this.g;
    const { rotaryDim: rd, headDim: hd } = this.cfg;
    const xr = rd === hd ? x : g.slice(x, [0], [rd], [-1]);
    const x1 = g.slice(xr, [0], [rd / 2], [-1]);
    const x2 = g.slice(xr, [rd / 2], [rd], [-1]);
    cos = this.toCompute(cos);
    sin = this.toCompute(sin);
    const rot = g.add(g.mul(xr, cos), g.mul(g.concat([g.neg(x2), x1], -1), sin));
    return rd === hd ? rot : g.concat([rot, g.slice(x, [rd], [hd], [-1])], -1);
  }

  /**
   * Self-attention of layer i on normed input x [B,S,H] → [B,S,H], in and out in the interface format;
   * projections and the two attention products in the compute format, scores and softmax in the interface one.
   */
  attention(x: Value, i: number, opts: AttentionOptions = {}): Value {
    const g = this.g;
    x = this.toCompute(x);
    const { numHeads: nH, numKvHeads: kv, headDim: hd, attentionBias, attentionOutputBias } = this.cfg;
    const rep = nH / kv;
    const p = `${layerPrefix(i)}.self_attn`;
    return g.scope(p, () => {
      // q [B,S,nH·hd], k and v [B,S,kv·hd]: three projections, or slices of Phi-3's fused one.
      let qf: Value, kf: Value, vf: Value;
      if (opts.fusedQkv) {
        const qkv = this.linear(x, `${p}.qkv_proj`, attentionBias);
        qf = g.slice(qkv, [0], [nH * hd], [-1]);
        kf = g.slice(qkv, [nH * hd], [(nH + kv) * hd], [-1]);
        vf = g.slice(qkv, [(nH + kv) * hd], [(nH + 2 * kv) * hd], [-1]);
      } else {
        qf = this.linear(x, `${p}.q_proj`, attentionBias);
        kf = this.linear(x, `${p}.k_proj`, attentionBias);
        vf = this.linear(x, `${p}.v_proj`, attentionBias);
      }
      // q: [B,S,nH·hd] → [B,S,kv,rep,hd] → [B,kv,rep,S,hd]; query head h = kvh·rep + r uses kv head kvh.
      let q = g.transpose(g.reshape(qf, [0, 0, kv, rep, hd]), [0, 2, 3, 1, 4]);
      // k, v: [B,S,kv·hd] → [B,kv,S,hd]
      let k = g.transpose(g.reshape(kf, [0, 0, kv, hd]), [0, 2, 1, 3]);
      const v = g.transpose(g.reshape(vf, [0, 0, kv, hd]), [0, 2, 1, 3]);
      if (opts.qkNorm) {
        // Per-head RMSNorm over head_dim, before RoPE (the order matters: RoPE does not commute with it).
        q = this.toCompute(this.rmsNorm(q, `${p}.q_norm`, opts.qkNorm === 'onePlusW'));
        k = this.toCompute(this.rmsNorm(k, `${p}.k_norm`, opts.qkNorm === 'onePlusW'));
      }
      const table = this.cfg.layerRope[i];
      if (table !== null) {
        const r = this.att.rope[table];
        if (!r) throw new Error(`internal: layer ${i} reads the ${table} rotary table, which the graph does not declare`);
        q = this.rope(q, r.cosQ, r.sinQ);
        k = this.rope(k, r.cosK, r.sinK);
      } // else: a NoPE layer (SmolLM3) — positions come from the causal mask alone
      // The cache (graph inputs and outputs) stays in the interface format.
      this.newK.push(this.toIo(k));
      this.newV.push(this.toIo(v));
      // keys/values over cache + new tokens: [B,kv,T,hd] → [B,kv,1,T,hd] (broadcast over rep, no copy)
      const kAll = this.att.pastK ? g.concat([this.toCompute(this.att.pastK[i]), k], 2) : k;
      const vAll = this.att.pastV ? g.concat([this.toCompute(this.att.pastV[i]), v], 2) : v;
      this.allK.push(this.toIo(kAll));
      this.allV.push(this.toIo(vAll));
      const k5 = g.unsqueeze(kAll, [2]);
      const v5 = g.unsqueeze(vAll, [2]);
      // scores [B,kv,rep,S,T]
      let scores = this.toIo(g.matmul(g.mul(q, this.cc(this.cfg.queryScale)), g.transposeLast2(k5)));
      if (opts.softcap !== undefined) scores = g.mul(g.tanh(g.div(scores, this.c(opts.softcap))), this.c(opts.softcap));
      const sliding = this.cfg.slidingWindow[i] !== undefined;
      scores = g.add(scores, sliding ? this.att.biasSliding! : this.att.biasFull);
      const probs = this.toCompute(g.softmax(scores, -1));
      // [B,kv,rep,S,hd] → [B,S,kv,rep,hd] → [B,S,nH·hd]
      const ctx = g.reshape(g.transpose(g.matmul(probs, v5), [0, 3, 1, 2, 4]), [0, 0, nH * hd]);
      return this.toIo(this.linear(ctx, `${p}.o_proj`, attentionOutputBias));
    });
  }

  /** down(act(gate(x)) ⊙ up(x)), in and out in the interface format, inside in the compute format. */
  mlp(x: Value, i: number, opts: MlpOptions = {}): Value {
    const g = this.g;
    x = this.toCompute(x);
    const p = `${layerPrefix(i)}.mlp`;
    const I = this.cfg.intermediateSize;
    return g.scope(p, () => {
      let gate: Value, up: Value;
      if (opts.fusedGateUp) {
        const gu = this.linear(x, `${p}.gate_up_proj`); // [B,S,2I]
        gate = g.slice(gu, [0], [I], [-1]);
        up = g.slice(gu, [I], [2 * I], [-1]);
      } else {
        gate = this.linear(x, `${p}.gate_proj`);
        up = this.linear(x, `${p}.up_proj`);
      }
      return this.toIo(this.linear(g.mul(this.activation(gate), up), `${p}.down_proj`));
    });
  }

  private activation(x: Value): Value {
    const g = this.g;
    if (this.cfg.activation === 'silu') return g.mul(x, g.sigmoid(x)); // SiLU; ORT fuses x·σ(x)
    // GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
    const inner = g.mul(this.cc(Math.sqrt(2 / Math.PI)), g.add(x, g.mul(this.cc(0.044715), g.mul(x, g.mul(x, x)))));
    return g.mul(g.mul(this.cc(0.5), x), g.add(this.cc(1), g.tanh(inner)));
  }
}

/** Symbolic dims used by every model graph. */
export const DIMS = { B: 'B', S: 'S', P: 'P', T: 'T', R: 'R', N: 'N', G: 'G' } as const satisfies Record<string, Dim>;
