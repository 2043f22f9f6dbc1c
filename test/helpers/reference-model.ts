// An independent, deliberately naive float64 forward pass of every supported family, written from the HF
// modeling and configuration semantics (modeling_<family>.py, configuration_<family>.py,
// modeling_rope_utils.py): loops, no graph, no batching, config.json keys read directly with the HF class
// defaults. Engine graphs are checked against it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWeightsDir } from '../../src/engine/weights/safetensors';

type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** HF config-class defaults per model_type, for keys a real config.json may leave out. */
const DEFAULTS: Record<string, Cfg> = {
  llama: { rope_theta: 10000, tie_word_embeddings: false },
  qwen2: { rope_theta: 10000, tie_word_embeddings: false },
  qwen3: { rope_theta: 10000, head_dim: 128, tie_word_embeddings: false, max_window_layers: 28, sliding_window: 4096 },
  gemma2: { rope_theta: 10000, tie_word_embeddings: true, sliding_window: 4096 },
  gemma3_text: {
    vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4,
    head_dim: 256, rope_theta: 1e6, rope_local_base_freq: 10000, query_pre_attn_scalar: 256, sliding_window: 4096, sliding_window_pattern: 6, tie_word_embeddings: true,
  },
  phi3: { rope_theta: 10000, tie_word_embeddings: false, original_max_position_embeddings: 4096 },
  smollm3: { rope_theta: 2e6, tie_word_embeddings: true, no_rope_layer_interval: 4 },
  granite: { rope_theta: 10000, tie_word_embeddings: false, embedding_multiplier: 1, residual_multiplier: 1, attention_multiplier: 1, logits_scaling: 1 },
  mistral: { rope_theta: 10000, tie_word_embeddings: false, sliding_window: 4096 },
  ministral: { rope_theta: 10000, tie_word_embeddings: false, sliding_window: 4096 },
};

/**
 * A deliberately wrong variant, for structural tests that show the comparison would catch a swapped quirk:
 * q/k norms applied after RoPE instead of before (Qwen3 / Gemma 3), or Gemma 3's local and global RoPE
 * bases exchanged.
 */
export type ReferenceMutation = 'qkNormAfterRope' | 'swapGemma3RopeBases';

export function referenceLogits(dir: string, ids: number[], mutation?: ReferenceMutation): Float64Array[] {
  const top: Cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const multimodal = top.model_type === 'gemma3';
  const type: string = multimodal ? 'gemma3_text' : top.model_type;
  // null means "use the class default" for these keys too (HF's __init__ takes None the same way for them)
  const given: Cfg = multimodal ? top.text_config : top;
  const c: Cfg = { ...DEFAULTS[type] };
  for (const [k, v] of Object.entries(given)) if (v !== null || !(k in c) || ['sliding_window', 'final_logit_softcapping', 'attn_logit_softcapping'].includes(k)) c[k] = v;
  const loaded = new Map([...loadWeightsDir(dir)].map(([k, t]) => [k, Float64Array.from(t.data)]));
  const W = (n: string) => {
    const t = loaded.get(n) ?? loaded.get(`language_model.${n}`) ?? loaded.get(`model.language_model.${n.replace(/^model\./, '')}`);
    if (!t) throw new Error(`missing ${n}`);
    return t;
  };
  const gemma = type === 'gemma2' || type === 'gemma3_text';
  const H: number = c.hidden_size, nH: number = c.num_attention_heads, kv: number = c.num_key_value_heads ?? nH;
  const hd: number = c.head_dim ?? H / nH, I: number = c.intermediate_size, V: number = c.vocab_size, S = ids.length;
  const L: number = c.num_hidden_layers;
  const eps: number = c.rms_norm_eps ?? (type === 'phi3' ? 1e-5 : 1e-6);
  const qkvBias = type === 'qwen2' || (c.attention_bias === true && type !== 'mistral' && type !== 'ministral' && type !== 'phi3');
  const oBias = c.attention_bias === true && !['qwen2', 'mistral', 'ministral', 'phi3'].includes(type);

  // ---- per-layer attention type (sliding window) and rotary choice -------------------------------
  const layerTypes: string[] = c.layer_types ?? Array.from({ length: L }, (_, i) => {
    if (type === 'gemma2') return i % 2 === 0 ? 'sliding_attention' : 'full_attention';
    if (type === 'gemma3_text') return (i + 1) % c.sliding_window_pattern ? 'sliding_attention' : 'full_attention';
    if (type === 'mistral' || type === 'phi3') return c.sliding_window != null ? 'sliding_attention' : 'full_attention';
    if (type === 'ministral') return c.sliding_window != null ? 'sliding_attention' : 'full_attention';
    if (type === 'qwen2' || type === 'qwen3') return c.use_sliding_window && i >= (c.max_window_layers ?? L) ? 'sliding_attention' : 'full_attention';
    if (type === 'smollm3') return c.use_sliding_window && c.sliding_window != null && noRope(i) ? 'sliding_attention' : 'full_attention'; // HF: slides where not has_rope
    return 'full_attention';
  });
  function noRope(i: number): boolean {
    if (type !== 'smollm3') return false;
    const list: number[] = c.no_rope_layers ?? Array.from({ length: L }, (_, j) => ((j + 1) % c.no_rope_layer_interval !== 0 ? 1 : 0));
    return list[i] === 0;
  }
  const windowOf = (l: number): number | null => {
    if (layerTypes[l] !== 'sliding_attention') return null;
    if ((type === 'qwen2' || type === 'qwen3' || type === 'smollm3') && !c.use_sliding_window) return null;
    return c.sliding_window ?? null;
  };

  // ---- RoPE: inverse frequencies and cos/sin multiplier per layer type ----------------------------
  const partial: number = (c.rope_parameters?.partial_rotary_factor ?? c.partial_rotary_factor ?? 1);
  const rd = Math.floor(hd * partial);
  const ropeFor = (layerType: string): { inv: number[]; scale: number } => {
    let p: Cfg;
    const rp = c.rope_parameters;
    if (rp && (rp.full_attention || rp.sliding_attention)) p = rp[layerType] ?? {};
    else if (rp) p = rp;
    else if (type === 'gemma3_text' && layerType === 'sliding_attention') p = { rope_theta: c.rope_local_base_freq };
    else p = { ...(c.rope_scaling ?? {}), rope_theta: c.rope_theta };
    const base: number = p.rope_theta ?? (type === 'gemma3_text' && layerType === 'sliding_attention' ? c.rope_local_base_freq : c.rope_theta);
    const inv = Array.from({ length: rd / 2 }, (_, i) => 1 / Math.pow(base, (2 * i) / rd));
    const rt = p.rope_type ?? p.type ?? 'default';
    if (rt === 'linear') return { inv: inv.map((f) => f / p.factor), scale: 1 };
    if (rt === 'llama3') {
      const o = p.original_max_position_embeddings, lw = o / p.low_freq_factor, hw = o / p.high_freq_factor;
      return {
        inv: inv.map((f) => {
          const wl = 2 * Math.PI / f;
          if (wl > lw) return f / p.factor;
          if (wl < hw) return f;
          const sm = (o / wl - p.low_freq_factor) / (p.high_freq_factor - p.low_freq_factor);
          return (1 - sm) * f / p.factor + sm * f;
        }), scale: 1,
      };
    }
    if (rt === 'longrope' || rt === 'su') {
      const orig: number = p.original_max_position_embeddings ?? c.original_max_position_embeddings;
      const factor: number = p.factor ?? c.max_position_embeddings / orig;
      const att: number = p.attention_factor ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(orig)));
      const ext: number[] = S > orig ? p.long_factor : p.short_factor; // whole sequence in one call: seq_len = S
      return { inv: inv.map((f, i) => f / ext[i]), scale: att };
    }
    return { inv, scale: 1 };
  };
  const ropes = new Map(['full_attention', 'sliding_attention'].map((t) => [t, ropeFor(t)]));
  if (mutation === 'swapGemma3RopeBases') {
    const [f, sl] = [ropes.get('full_attention')!, ropes.get('sliding_attention')!];
    ropes.set('full_attention', sl); ropes.set('sliding_attention', f);
  }
  const rope = (v: Float64Array, off: number, p: number, r: { inv: number[]; scale: number }) => {
    const half = rd / 2;
    const out = v.slice(off, off + hd);
    for (let i = 0; i < half; i++) {
      const a = p * r.inv[i], co = Math.cos(a) * r.scale, si = Math.sin(a) * r.scale;
      const x1 = v[off + i], x2 = v[off + half + i];
      out[i] = x1 * co - x2 * si; out[half + i] = x2 * co + x1 * si;
    }
    v.set(out, off);
  };

  const matvec = (m: Float64Array, x: Float64Array, rows: number, cols: number, b?: Float64Array, rowOff = 0) => {
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) { let s = b ? b[rowOff + r] : 0; for (let k = 0; k < cols; k++) s += m[(rowOff + r) * cols + k] * x[k]; y[r] = s; }
    return y;
  };
  const norm = (x: Float64Array, g: Float64Array) => {
    let ms = 0; for (const v of x) ms += v * v; ms /= x.length;
    const r = 1 / Math.sqrt(ms + eps);
    return x.map((v, i) => v * r * (gemma ? 1 + g[i] : g[i]));
  };
  const act = (x: number) => gemma ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))) : x / (1 + Math.exp(-x));
  const add = (a: Float64Array, b: Float64Array, s = 1) => a.map((v, d) => v + s * b[d]);

  const E = W('model.embed_tokens.weight');
  const embScale = gemma ? Math.sqrt(H) : type === 'granite' ? c.embedding_multiplier : 1;
  let xs = ids.map((t) => E.slice(t * H, (t + 1) * H).map((v) => v * embScale));
  const scale = gemma ? Math.pow(c.query_pre_attn_scalar ?? hd, -0.5) : type === 'granite' ? c.attention_multiplier : 1 / Math.sqrt(hd);
  const resid = type === 'granite' ? c.residual_multiplier : 1;
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    const window = windowOf(l);
    const hn = xs.map((x) => norm(x, W(`${p}.input_layernorm.weight`)));
    const bias = (n: string) => (qkvBias ? W(`${p}.self_attn.${n}.bias`) : undefined);
    let q: Float64Array[], k: Float64Array[], v: Float64Array[];
    if (type === 'phi3') {
      // fused qkv_proj: rows [0, nH·hd) are q, then kv·hd of k, then kv·hd of v
      const Wqkv = W(`${p}.self_attn.qkv_proj.weight`);
      q = hn.map((x) => matvec(Wqkv, x, nH * hd, H));
      k = hn.map((x) => matvec(Wqkv, x, kv * hd, H, undefined, nH * hd));
      v = hn.map((x) => matvec(Wqkv, x, kv * hd, H, undefined, (nH + kv) * hd));
    } else {
      q = hn.map((x) => matvec(W(`${p}.self_attn.q_proj.weight`), x, nH * hd, H, bias('q_proj')));
      k = hn.map((x) => matvec(W(`${p}.self_attn.k_proj.weight`), x, kv * hd, H, bias('k_proj')));
      v = hn.map((x) => matvec(W(`${p}.self_attn.v_proj.weight`), x, kv * hd, H, bias('v_proj')));
    }
    const qkNorm = () => {
      if (type !== 'qwen3' && type !== 'gemma3_text') return;
      // q_norm / k_norm: RMSNorm over each head's head_dim slice
      const headNorm = (vec: Float64Array, heads: number, g: Float64Array) => {
        for (let h = 0; h < heads; h++) vec.set(norm(vec.slice(h * hd, (h + 1) * hd), g), h * hd);
      };
      q.forEach((qi) => headNorm(qi, nH, W(`${p}.self_attn.q_norm.weight`)));
      k.forEach((ki) => headNorm(ki, kv, W(`${p}.self_attn.k_norm.weight`)));
    };
    if (mutation !== 'qkNormAfterRope') qkNorm(); // HF: before RoPE
    if (!noRope(l)) {
      const r = ropes.get(type === 'gemma3_text' ? layerTypes[l] : 'full_attention')!;
      q.forEach((qi, i) => { for (let h = 0; h < nH; h++) rope(qi, h * hd, i, r); });
      k.forEach((ki, i) => { for (let h = 0; h < kv; h++) rope(ki, h * hd, i, r); });
    }
    if (mutation === 'qkNormAfterRope') qkNorm();
    const attnOut = xs.map((_, i) => {
      const ctx = new Float64Array(nH * hd);
      for (let h = 0; h < nH; h++) {
        const g = Math.floor(h / (nH / kv));
        const sc: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0; for (let d = 0; d < hd; d++) s += q[i][h * hd + d] * k[j][g * hd + d];
          s *= scale;
          if (gemma && c.attn_logit_softcapping) s = Math.tanh(s / c.attn_logit_softcapping) * c.attn_logit_softcapping;
          if (window !== null && i - j >= window) s = -Infinity;
          sc.push(s);
        }
        const m = Math.max(...sc); const e = sc.map((s) => Math.exp(s - m)); const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) ctx[h * hd + d] += (e[j] / z) * v[j][g * hd + d];
      }
      return matvec(W(`${p}.self_attn.o_proj.weight`), ctx, H, nH * hd, oBias ? W(`${p}.self_attn.o_proj.bias`) : undefined);
    });
    const h1 = xs.map((x, i) => add(x, gemma ? norm(attnOut[i], W(`${p}.post_attention_layernorm.weight`)) : attnOut[i], resid));
    xs = h1.map((h) => {
      const n = norm(h, W(gemma ? `${p}.pre_feedforward_layernorm.weight` : `${p}.post_attention_layernorm.weight`));
      let gt: Float64Array, up: Float64Array;
      if (type === 'phi3') {
        const Wgu = W(`${p}.mlp.gate_up_proj.weight`); // gate = first I rows, up = last I rows
        gt = matvec(Wgu, n, I, H); up = matvec(Wgu, n, I, H, undefined, I);
      } else {
        gt = matvec(W(`${p}.mlp.gate_proj.weight`), n, I, H); up = matvec(W(`${p}.mlp.up_proj.weight`), n, I, H);
      }
      let m = matvec(W(`${p}.mlp.down_proj.weight`), gt.map((gv, i) => act(gv) * up[i]), H, I);
      if (gemma) m = norm(m, W(`${p}.post_feedforward_layernorm.weight`));
      return add(h, m, resid);
    });
  }
  const headW = c.tie_word_embeddings ? E : W('lm_head.weight');
  return xs.map((x) => {
    let lg = matvec(headW, norm(x, W('model.norm.weight')), V, H);
    if (gemma && c.final_logit_softcapping) lg = lg.map((v) => Math.tanh(v / c.final_logit_softcapping) * c.final_logit_softcapping);
    if (type === 'granite') lg = lg.map((v) => v / c.logits_scaling);
    return lg;
  });
}
