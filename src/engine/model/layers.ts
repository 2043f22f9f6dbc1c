// Shared transformer pieces (RMSNorm, linear, rotary attention with GQA and a KV cache, gated MLP) that
// the family files compose. Weights are graph inputs named "w.<HF tensor name>", so one copy in memory
// serves every session and training can differentiate with respect to them.
//
// Letters: B batch, S new tokens, P cached tokens, T = P + S keys, H hidden, I intermediate,
// nH query heads, kv key/value heads, rep = nH / kv, hd head dim, V vocab.
import { DType, Dim, Value } from '../graph/graph';
import { Graph } from '../graph/ops';
import { ModelConfig } from './config';

export const W = (name: string): string => `w.${name}`;
export const layerPrefix = (i: number): string => `model.layers.${i}`;

/** Where each weight lives in an external data file, by HF name. */
export type ResidentWeights = ReadonlyMap<string, { location: string; offset: number; length: number }>;

export interface AttentionInputs {
  /** [B,1,1,S,hd] and [B,1,S,hd]: cos/sin per position (rotate_half layout), broadcast over heads. */
  cosQ: Value; sinQ: Value; cosK: Value; sinK: Value;
  /** [B,1,1,S,T] additive masks (0 or -inf): full and sliding-window attention. */
  biasFull: Value;
  biasSliding: Value | null;
  /** Per layer [B,kv,P,hd], or null when the graph has no cache (gradient graphs). */
  pastK: Value[] | null;
  pastV: Value[] | null;
}

export class LayerBuilder {
  readonly newK: Value[] = [];
  readonly newV: Value[] = [];
  private readonly weights = new Map<string, Value>();

  constructor(
    readonly g: Graph, readonly cfg: ModelConfig, readonly dtype: DType, readonly att: AttentionInputs,
    readonly expectedShapes: ReadonlyMap<string, number[]>, private readonly resident?: ResidentWeights,
  ) {}

  /**
   * The weight for an HF tensor name, declared on first use with its expected shape: a graph input (one
   * host copy shared by all sessions, changeable for training), or, with resident weights, an initializer
   * in an external data file that the session loads once (no per-run transfer: what a GPU needs).
   */
  weight(name: string): Value {
    let v = this.weights.get(name);
    if (!v) {
      const shape = this.expectedShapes.get(name);
      if (!shape) throw new Error(`internal: weight ${name} is used by the graph but not in the family's weight table`);
      const ext = this.resident?.get(name);
      v = ext ? this.g.constant({ dtype: this.dtype, dims: shape, data: new Float32Array(0), external: ext }, W(name)) : this.g.input(W(name), this.dtype, shape);
      this.weights.set(name, v);
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

  /** x / √(mean(x²) + eps) · w, or · (1 + w) for Gemma. Written in the form ORT fuses. */
  rmsNorm(x: Value, name: string, plusOne = false): Value {
    const g = this.g;
    return g.scope(name, () => {
      const ms = g.reduceMean(g.pow(x, this.c(2)), [-1], true);
      const n = g.div(x, g.sqrt(g.add(ms, this.c(this.cfg.rmsNormEps))));
      const w = this.weight(`${name}.weight`);
      return g.mul(n, plusOne ? g.add(w, this.c(1)) : w);
    });
  }

  /** y = x Wᵀ (+ b), W in HF's [out, in] layout (ORT fuses the Transpose into the MatMul). */
  linear(x: Value, name: string, bias = false): Value {
    const g = this.g;
    return g.scope(name, () => {
      const y = g.matmul(x, g.transpose(this.weight(`${name}.weight`), [1, 0]));
      return bias ? g.add(y, this.weight(`${name}.bias`)) : y;
    });
  }

  /** rotate_half RoPE: x·cos + [-x₂, x₁]·sin, halves of the head dim. */
  private rope(x: Value, cos: Value, sin: Value): Value {
    const g = this.g;
    const half = this.cfg.headDim / 2;
    const x1 = g.slice(x, [0], [half], [-1]);
    const x2 = g.slice(x, [half], [this.cfg.headDim], [-1]);
    const rot = g.concat([g.neg(x2), x1], -1);
    return g.add(g.mul(x, cos), g.mul(rot, sin));
  }

  /** Self-attention of layer i on normed input x [B,S,H] → [B,S,H]. */
  attention(x: Value, i: number, opts: { softcap?: number } = {}): Value {
    const g = this.g;
    const { numHeads: nH, numKvHeads: kv, headDim: hd, attentionBias } = this.cfg;
    const rep = nH / kv;
    const p = `${layerPrefix(i)}.self_attn`;
    return g.scope(p, () => {
      // q: [B,S,nH·hd] → [B,S,kv,rep,hd] → [B,kv,rep,S,hd]; query head h = kvh·rep + r uses kv head kvh.
      let q = g.transpose(g.reshape(this.linear(x, `${p}.q_proj`, attentionBias), [0, 0, kv, rep, hd]), [0, 2, 3, 1, 4]);
      // k, v: [B,S,kv·hd] → [B,kv,S,hd]
      let k = g.transpose(g.reshape(this.linear(x, `${p}.k_proj`, attentionBias), [0, 0, kv, hd]), [0, 2, 1, 3]);
      const v = g.transpose(g.reshape(this.linear(x, `${p}.v_proj`, attentionBias), [0, 0, kv, hd]), [0, 2, 1, 3]);
      q = this.rope(q, this.att.cosQ, this.att.sinQ);
      k = this.rope(k, this.att.cosK, this.att.sinK);
      this.newK.push(k);
      this.newV.push(v);
      // keys/values over cache + new tokens: [B,kv,T,hd] → [B,kv,1,T,hd] (broadcast over rep, no copy)
      const kAll = this.att.pastK ? g.concat([this.att.pastK[i], k], 2) : k;
      const vAll = this.att.pastV ? g.concat([this.att.pastV[i], v], 2) : v;
      const k5 = g.unsqueeze(kAll, [2]);
      const v5 = g.unsqueeze(vAll, [2]);
      // scores [B,kv,rep,S,T]
      let scores = g.matmul(g.mul(q, this.c(this.cfg.queryScale)), g.transposeLast2(k5));
      if (opts.softcap !== undefined) scores = g.mul(g.tanh(g.div(scores, this.c(opts.softcap))), this.c(opts.softcap));
      const sliding = this.cfg.slidingWindow[i] !== undefined;
      scores = g.add(scores, sliding ? this.att.biasSliding! : this.att.biasFull);
      const probs = g.softmax(scores, -1);
      // [B,kv,rep,S,hd] → [B,S,kv,rep,hd] → [B,S,nH·hd]
      const ctx = g.reshape(g.transpose(g.matmul(probs, v5), [0, 3, 1, 2, 4]), [0, 0, nH * hd]);
      return this.linear(ctx, `${p}.o_proj`);
    });
  }

  /** down(act(gate(x)) ⊙ up(x)) */
  mlp(x: Value, i: number): Value {
    const g = this.g;
    const p = `${layerPrefix(i)}.mlp`;
    return g.scope(p, () => {
      const gate = this.linear(x, `${p}.gate_proj`);
      const up = this.linear(x, `${p}.up_proj`);
      return this.linear(g.mul(this.activation(gate), up), `${p}.down_proj`);
    });
  }

  private activation(x: Value): Value {
    const g = this.g;
    if (this.cfg.activation === 'silu') return g.mul(x, g.sigmoid(x)); // SiLU; ORT fuses x·σ(x)
    // GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
    const inner = g.mul(this.c(Math.sqrt(2 / Math.PI)), g.add(x, g.mul(this.c(0.044715), g.mul(x, g.mul(x, x)))));
    return g.mul(g.mul(this.c(0.5), x), g.add(this.c(1), g.tanh(inner)));
  }
}

/** Symbolic dims used by every model graph. */
export const DIMS = { B: 'B', S: 'S', P: 'P', T: 'T', R: 'R', N: 'N', G: 'G' } as const satisfies Record<string, Dim>;
