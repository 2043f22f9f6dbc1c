// Weight-only block quantization for onnxruntime's com.microsoft MatMulNBits (CPU generation, issue 17.2).
// A linear weight in HF's [out, in] = [N, K] layout is cut into blocks of `blockSize` along K; each block keeps
// a float scale and an unsigned zero point, and each weight becomes q = round(w / scale) + zp in [0, 2^bits).
// Layout (onnxruntime docs/ContribOperators.md, MatMulNBits):
//   B           uint8 [N, kBlocks, blockSize·bits/8], codes packed along K, low bits first;
//   scales      float [N·kBlocks];
//   zero_points uint8 [N, ceil(kBlocks·bits/8)], packed the same way as B.
// Only generation uses these; the gradient graph keeps the float32 weights.

export type QuantBits = 4 | 8;

export interface QuantizedMatrix {
  readonly N: number;
  readonly K: number;
  readonly bits: QuantBits;
  readonly blockSize: number;
  readonly packed: Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array;
}

/**
 * Blocks of 16 along K, the smallest MatMulNBits takes: with accuracy level 4 the activations are quantized to
 * int8 per block too, and on stories260K 16-wide blocks kept int8 greedy decoding equal to float32 four times
 * longer than 32-wide ones, at the same decode speed (bench/quantize.ts).
 */
export function blockSizeFor(_K: number): number {
  return 16;
}

export function quantizeMatrix(w: ArrayLike<number>, N: number, K: number, bits: QuantBits, blockSize = blockSizeFor(K)): QuantizedMatrix {
  if (w.length !== N * K) throw new Error(`internal: quantizeMatrix got ${w.length} values for [${N}, ${K}]`);
  const kBlocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpBytes = Math.ceil((kBlocks * bits) / 8);
  const qmax = (1 << bits) - 1;
  const packed = new Uint8Array(N * kBlocks * blob);
  const scales = new Float32Array(N * kBlocks);
  const zeroPoints = new Uint8Array(N * zpBytes);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      // The range always holds 0, so padding past K (and exact zeros) dequantize to exactly 0.
      let lo = 0;
      let hi = 0;
      for (let k = k0; k < k1; k++) {
        const x = w[n * K + k];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      const scale = hi > lo ? (hi - lo) / qmax : 1;
      const zp = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
      scales[n * kBlocks + b] = scale;
      const zi = n * zpBytes + ((b * bits) >> 3);
      zeroPoints[zi] |= bits === 8 ? zp : zp << ((b & 1) * 4);
      const base = (n * kBlocks + b) * blob;
      for (let j = 0; j < blockSize; j++) {
        const k = k0 + j;
        const q = k < K ? Math.min(qmax, Math.max(0, Math.round(w[n * K + k] / scale) + zp)) : zp;
        if (bits === 8) packed[base + j] = q;
        else packed[base + (j >> 1)] |= q << ((j & 1) * 4);
      }
    }
  }
  return { N, K, bits, blockSize, packed, scales, zeroPoints };
}

/** The float [N, K] matrix a quantized one stands for: what MatMulNBits multiplies by (tests, error bounds). */
export function dequantizeMatrix(q: QuantizedMatrix): Float32Array {
  const { N, K, bits, blockSize } = q;
  const kBlocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpBytes = Math.ceil((kBlocks * bits) / 8);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const j = k - b * blockSize;
      const zb = q.zeroPoints[n * zpBytes + ((b * bits) >> 3)];
      const zp = bits === 8 ? zb : (zb >> ((b & 1) * 4)) & 15;
      const byte = q.packed[(n * kBlocks + b) * blob + (bits === 8 ? j : j >> 1)];
      const code = bits === 8 ? byte : (byte >> ((j & 1) * 4)) & 15;
      out[n * K + k] = (code - zp) * q.scales[n * kBlocks + b];
    }
  }
  return out;
}

export function quantizedBytes(q: QuantizedMatrix): number {
  return q.packed.byteLength + q.scales.byteLength + q.zeroPoints.byteLength;
}

export type QuantizeMode = 'none' | 'int8' | 'int4';
export type QuantizeChoice = QuantizeMode | 'auto';
export const QUANTIZE_CHOICES: readonly QuantizeChoice[] = ['none', 'int8', 'int4', 'auto'];

/** Linear layers: every 2-D "*_proj.weight" (q/k/v/o, gate/up/down and the fused variants). */
export const LINEAR_WEIGHT = /_proj\.weight$/;

/**
 * The quantized copies a generation graph uses: every linear layer at the mode's width, and the LM head (the
 * tied embedding's copy under "lm_head.weight") at 8 bits in both modes: the head decides the greedy token
 * directly, and 4-bit heads flip the most tokens for the least memory saved.
 */
export function quantizeLinears(weights: ReadonlyMap<string, ArrayLike<number>>, shapes: ReadonlyMap<string, readonly number[]>, mode: Exclude<QuantizeMode, 'none'>, tied: boolean): Map<string, QuantizedMatrix> {
  const bits: QuantBits = mode === 'int8' ? 8 : 4;
  const out = new Map<string, QuantizedMatrix>();
  for (const [name, shape] of shapes) {
    if (shape.length !== 2 || !LINEAR_WEIGHT.test(name)) continue;
    out.set(name, quantizeMatrix(weights.get(name)!, shape[0], shape[1], bits));
  }
  const head = tied ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const hs = shapes.get(head)!;
  out.set('lm_head.weight', quantizeMatrix(weights.get(head)!, hs[0], hs[1], 8));
  return out;
}

/** Parameters in the matrices quantizeLinears replaces (the linear layers and the head). */
export function linearParameterCount(shapes: ReadonlyMap<string, readonly number[]>, tied: boolean): number {
  let n = 0;
  for (const [name, shape] of shapes) if (shape.length === 2 && (LINEAR_WEIGHT.test(name) || name === (tied ? 'model.embed_tokens.weight' : 'lm_head.weight'))) n += shape[0] * shape[1];
  return n;
}
