// A naive float32 re-statement of llama2.c's run.c forward pass, reading the raw legacy checkpoint:
// interleaved-pair RoPE, GQA, SwiGLU, tied classifier. Independent of our converter and ONNX graphs.
import * as fs from 'node:fs';

export function llama2cGreedy(checkpoint: string, start: number[], steps: number): number[] {
  const buf = fs.readFileSync(checkpoint);
  const hdr = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 28));
  const [dim, hidden, nLayers, nHeads, nKv, vocabSigned, seqLen] = Array.from(hdr);
  const vocab = Math.abs(vocabSigned);
  const f = new Float32Array(buf.buffer.slice(buf.byteOffset + 28, buf.byteOffset + buf.length - ((buf.length - 28) % 4)));
  let o = 0;
  const take = (n: number) => { const a = f.subarray(o, o + n); o += n; return a; };
  const hs = dim / nHeads;
  const emb = take(vocab * dim), rmsAtt = take(nLayers * dim), wq = take(nLayers * dim * dim), wk = take(nLayers * nKv * hs * dim);
  const wv = take(nLayers * nKv * hs * dim), wo = take(nLayers * dim * dim), rmsFfn = take(nLayers * dim);
  const w1 = take(nLayers * hidden * dim), w2 = take(nLayers * dim * hidden), w3 = take(nLayers * hidden * dim), rmsFinal = take(dim);
  const mat = (w: Float32Array, off: number, x: Float32Array, n: number, d: number) => {
    const y = new Float32Array(d);
    for (let i = 0; i < d; i++) { let s = 0; for (let j = 0; j < n; j++) s += w[off + i * n + j] * x[j]; y[i] = s; }
    return y;
  };
  const rms = (x: Float32Array, w: Float32Array, off: number) => {
    let ss = 0; for (const v of x) ss += v * v; ss = 1 / Math.sqrt(ss / x.length + 1e-5);
    return x.map((v, i) => w[off + i] * (ss * v));
  };
  const kvDim = nKv * hs;
  const kc = Array.from({ length: nLayers }, () => new Float32Array(seqLen * kvDim));
  const vc = Array.from({ length: nLayers }, () => new Float32Array(seqLen * kvDim));
  const forward = (tok: number, pos: number) => {
    let x = emb.slice(tok * dim, (tok + 1) * dim);
    for (let l = 0; l < nLayers; l++) {
      const xb = rms(x, rmsAtt, l * dim);
      const q = mat(wq, l * dim * dim, xb, dim, dim), k = mat(wk, l * kvDim * dim, xb, dim, kvDim), v = mat(wv, l * kvDim * dim, xb, dim, kvDim);
      for (let i = 0; i < dim; i += 2) {
        const freq = 1 / Math.pow(10000, (i % hs) / hs), a = pos * freq, fcr = Math.cos(a), fci = Math.sin(a);
        for (const [vec, lim] of [[q, dim], [k, kvDim]] as const) if (i < lim) {
          const v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci; vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      kc[l].set(k, pos * kvDim); vc[l].set(v, pos * kvDim);
      const att = new Float32Array(dim);
      for (let h = 0; h < nHeads; h++) {
        const kh = Math.floor(h / (nHeads / nKv));
        const sc = new Float32Array(pos + 1);
        for (let t = 0; t <= pos; t++) { let s = 0; for (let i = 0; i < hs; i++) s += q[h * hs + i] * kc[l][t * kvDim + kh * hs + i]; sc[t] = s / Math.sqrt(hs); }
        const m = Math.max(...sc); let z = 0; for (let t = 0; t <= pos; t++) { sc[t] = Math.exp(sc[t] - m); z += sc[t]; }
        for (let t = 0; t <= pos; t++) for (let i = 0; i < hs; i++) att[h * hs + i] += (sc[t] / z) * vc[l][t * kvDim + kh * hs + i];
      }
      const ao = mat(wo, l * dim * dim, att, dim, dim);
      x = x.map((v, i) => v + ao[i]);
      const hb = rms(x, rmsFfn, l * dim);
      const g = mat(w1, l * hidden * dim, hb, dim, hidden), u = mat(w3, l * hidden * dim, hb, dim, hidden);
      const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
      const down = mat(w2, l * dim * hidden, act, hidden, dim);
      x = x.map((v, i) => v + down[i]);
    }
    return mat(emb, 0, rms(x, rmsFinal, 0), dim, vocab);
  };
  const out: number[] = [];
  let tok = start[0];
  for (let pos = 0; pos < start.length - 1 + steps; pos++) {
    const logits = forward(tok, pos);
    if (pos < start.length - 1) { tok = start[pos + 1]; continue; }
    let best = 0; for (let i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
    if (best === 1) break; // run.c stops at BOS
    out.push(best);
    tok = best;
  }
  return out;
}
