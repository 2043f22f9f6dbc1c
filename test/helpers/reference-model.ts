// An independent, deliberately naive float64 forward pass of Llama / Qwen2 / Gemma2 written from the HF
// modeling semantics (loops, no graph, no batching), reading config.json keys directly. Engine graphs
// are checked against it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWeightsDir } from '../../src/engine/weights/safetensors';

type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function referenceLogits(dir: string, ids: number[]): Float64Array[] {
  const c: Cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const w = new Map([...loadWeightsDir(dir)].map(([k, t]) => [k, Float64Array.from(t.data)]));
  const W = (n: string) => { const t = w.get(n); if (!t) throw new Error(`missing ${n}`); return t; };
  const gemma = c.model_type === 'gemma2';
  const H: number = c.hidden_size, nH: number = c.num_attention_heads, kv: number = c.num_key_value_heads ?? nH;
  const hd: number = c.head_dim ?? H / nH, I: number = c.intermediate_size, V: number = c.vocab_size, S = ids.length;
  const eps: number = c.rms_norm_eps;
  const bias = c.model_type === 'qwen2' || c.attention_bias === true;

  const matvec = (m: Float64Array, x: Float64Array, rows: number, cols: number, b?: Float64Array) => {
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) { let s = b ? b[r] : 0; for (let k = 0; k < cols; k++) s += m[r * cols + k] * x[k]; y[r] = s; }
    return y;
  };
  const norm = (x: Float64Array, g: Float64Array) => {
    let ms = 0; for (const v of x) ms += v * v; ms /= x.length;
    const r = 1 / Math.sqrt(ms + eps);
    return x.map((v, i) => v * r * (gemma ? 1 + g[i] : g[i]));
  };
  // inverse frequencies (with llama3 scaling)
  const inv = Array.from({ length: hd / 2 }, (_, i) => 1 / Math.pow(c.rope_theta ?? 10000, (2 * i) / hd));
  const rs = c.rope_scaling;
  if (rs && (rs.rope_type ?? rs.type) === 'llama3') {
    const lw = rs.original_max_position_embeddings / rs.low_freq_factor, hw = rs.original_max_position_embeddings / rs.high_freq_factor;
    for (let i = 0; i < inv.length; i++) {
      const wl = 2 * Math.PI / inv[i];
      if (wl > lw) inv[i] /= rs.factor;
      else if (wl >= hw) { const sm = (rs.original_max_position_embeddings / wl - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor); inv[i] = (1 - sm) * inv[i] / rs.factor + sm * inv[i]; }
    }
  }
  const rope = (v: Float64Array, off: number, p: number) => {
    const half = hd / 2;
    const out = v.slice(off, off + hd);
    for (let i = 0; i < half; i++) {
      const a = p * inv[i], co = Math.cos(a), si = Math.sin(a);
      const x1 = v[off + i], x2 = v[off + half + i];
      out[i] = x1 * co - x2 * si; out[half + i] = x2 * co + x1 * si;
    }
    v.set(out, off);
  };
  const act = (x: number) => gemma ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))) : x / (1 + Math.exp(-x));

  const E = W('model.embed_tokens.weight');
  let xs = ids.map((t) => E.slice(t * H, (t + 1) * H).map((v) => (gemma ? v * Math.sqrt(H) : v)));
  const scale = 1 / Math.sqrt(gemma ? c.query_pre_attn_scalar ?? hd : hd);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const sliding = gemma ? l % 2 === 0 : false;
    const window: number = c.sliding_window;
    const hn = xs.map((x) => norm(x, W(`${p}.input_layernorm.weight`)));
    const q = hn.map((x) => matvec(W(`${p}.self_attn.q_proj.weight`), x, nH * hd, H, bias ? W(`${p}.self_attn.q_proj.bias`) : undefined));
    const k = hn.map((x) => matvec(W(`${p}.self_attn.k_proj.weight`), x, kv * hd, H, bias ? W(`${p}.self_attn.k_proj.bias`) : undefined));
    const v = hn.map((x) => matvec(W(`${p}.self_attn.v_proj.weight`), x, kv * hd, H, bias ? W(`${p}.self_attn.v_proj.bias`) : undefined));
    q.forEach((qi, i) => { for (let h = 0; h < nH; h++) rope(qi, h * hd, i); });
    k.forEach((ki, i) => { for (let h = 0; h < kv; h++) rope(ki, h * hd, i); });
    const attnOut = xs.map((_, i) => {
      const ctx = new Float64Array(nH * hd);
      for (let h = 0; h < nH; h++) {
        const g = Math.floor(h / (nH / kv));
        const sc: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0; for (let d = 0; d < hd; d++) s += q[i][h * hd + d] * k[j][g * hd + d];
          s *= scale;
          if (gemma && c.attn_logit_softcapping) s = Math.tanh(s / c.attn_logit_softcapping) * c.attn_logit_softcapping;
          if (sliding && i - j >= window) s = -Infinity;
          sc.push(s);
        }
        const m = Math.max(...sc); const e = sc.map((s) => Math.exp(s - m)); const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) ctx[h * hd + d] += (e[j] / z) * v[j][g * hd + d];
      }
      return matvec(W(`${p}.self_attn.o_proj.weight`), ctx, H, nH * hd);
    });
    const h1 = xs.map((x, i) => {
      const a = gemma ? norm(attnOut[i], W(`${p}.post_attention_layernorm.weight`)) : attnOut[i];
      return x.map((xv, d) => xv + a[d]);
    });
    xs = h1.map((h) => {
      const n = norm(h, W(gemma ? `${p}.pre_feedforward_layernorm.weight` : `${p}.post_attention_layernorm.weight`));
      const gt = matvec(W(`${p}.mlp.gate_proj.weight`), n, I, H), up = matvec(W(`${p}.mlp.up_proj.weight`), n, I, H);
      let m = matvec(W(`${p}.mlp.down_proj.weight`), gt.map((gv, i) => act(gv) * up[i]), H, I);
      if (gemma) m = norm(m, W(`${p}.post_feedforward_layernorm.weight`));
      return h.map((hv, d) => hv + m[d]);
    });
  }
  const tied = c.tie_word_embeddings ?? gemma; // HF defaults: Gemma2 ties, Llama and Qwen2 do not
  const headW = tied ? E : W('lm_head.weight');
  return xs.map((x) => {
    let lg = matvec(headW, norm(x, W('model.norm.weight')), V, H);
    if (gemma && c.final_logit_softcapping) lg = lg.map((v) => Math.tanh(v / c.final_logit_softcapping) * c.final_logit_softcapping);
    return lg;
  });
}
