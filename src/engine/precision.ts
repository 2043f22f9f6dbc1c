// The numeric formats a model runs in, chosen once at load: weight-only quantization of generation on CPU
// (--quantize) and the float width of the graphs (--precision). Each bad combination is refused here, in one
// line, before any weights are read.
import { UserError } from './errors';
import { QUANTIZE_CHOICES, QuantizeChoice, QuantizeMode } from './model/quantize';
import { Device, DeviceChoice, probeHalf, resolveDevice } from './runtime/session';

export type { QuantizeChoice, QuantizeMode } from './model/quantize';

export function parseQuantize(s: string): QuantizeChoice {
  if ((QUANTIZE_CHOICES as readonly string[]).includes(s)) return s as QuantizeChoice;
  throw new UserError(`unknown quantization '${s}'; valid: ${QUANTIZE_CHOICES.join(', ')}`);
}

/**
 * `auto` quantizes to int8 on CPU once the linear layers and head hold this many parameters: below it a decode
 * step is per-node overhead, not weight reading (stories260K, 0.3 M: no gain; a 15 M stories15M shape: 2× faster).
 */
export const AUTO_INT8_MIN_PARAMS = 5e6;

/**
 * The quantization a load uses. int8/int4 run through onnxruntime's MatMulNBits CPU kernel, in float32 graphs
 * only; `auto` picks int8 on CPU for models past AUTO_INT8_MIN_PARAMS, and none elsewhere.
 */
export function resolveQuantize(choice: QuantizeChoice, device: Device, dtype: 'float32' | 'float64', linearParams: number): QuantizeMode {
  if (choice === 'none') return 'none';
  if (choice === 'auto') return device === 'cpu' && dtype === 'float32' && linearParams >= AUTO_INT8_MIN_PARAMS ? 'int8' : 'none';
  if (device !== 'cpu') throw new UserError(`--quantize ${choice} runs on the CPU only (onnxruntime's MatMulNBits CPU kernel), not on ${device}; use --quantize none with --device ${device}, or --device cpu`);
  if (dtype !== 'float32') throw new UserError(`--quantize ${choice} needs float32 weights; this model was loaded in ${dtype}`);
  return choice;
}

export type PrecisionChoice = 'fp32' | 'fp16' | 'auto';
export type Precision = 'fp32' | 'fp16';
export const PRECISION_CHOICES: readonly PrecisionChoice[] = ['fp32', 'fp16', 'auto'];

export function parsePrecision(s: string): PrecisionChoice {
  if ((PRECISION_CHOICES as readonly string[]).includes(s)) return s as PrecisionChoice;
  throw new UserError(`unknown precision '${s}'; valid: ${PRECISION_CHOICES.join(', ')}`);
}

/**
 * The float width of the graphs. fp16 (weights and matrix products in float16; norms, softmax, the loss and the
 * gradients in float32) runs on WebGPU when the adapter has float16 kernels (shader-f16), checked with a tiny
 * session. On CPU onnxruntime computes most float16 ops through inserted float32 casts (slower, and its constant
 * folding makes float32 copies of the weights), and CUDA is untested: both refused. `auto`: fp16 where it runs.
 */
export async function resolvePrecision(choice: PrecisionChoice, device: Device, dtype: 'float32' | 'float64', quantize: QuantizeMode): Promise<Precision> {
  if (choice === 'fp32') return 'fp32';
  const usable = device === 'webgpu' && dtype === 'float32' && quantize === 'none';
  if (choice === 'auto') return usable && (await probeHalf(device)) === null ? 'fp16' : 'fp32';
  if (device !== 'webgpu') throw new UserError(`--precision fp16 runs on WebGPU only (--device webgpu), not on ${device}: ${device === 'cpu' ? "onnxruntime's CPU provider computes float16 through float32 casts, slower and no smaller" : 'float16 on CUDA is untested'}; use --precision fp32`);
  if (quantize !== 'none') throw new UserError(`--precision fp16 and --quantize ${quantize} do not combine; choose one`);
  if (dtype !== 'float32') throw new UserError(`--precision fp16 needs float32 as the interface format; this model was loaded in ${dtype}`);
  const err = await probeHalf(device);
  if (err) throw new UserError(`--precision fp16: this WebGPU adapter has no float16 kernels (the shader-f16 feature): ${err}; use --precision fp32`);
  return 'fp16';
}

/**
 * Whether a device, quantization and precision would load, checked before any model is chosen (the panel shows
 * each refusal next to its field): the device is resolved (`auto` probes), then the same checks a load runs, for
 * float32 weights. Each refusal is the load's own one line; none means the combination loads.
 */
export async function checkFormats(device: DeviceChoice, quantize: QuantizeChoice, precision: PrecisionChoice): Promise<{ device?: Device; refusals: { device?: string; quantize?: string; precision?: string } }> {
  const message = (e: unknown) => {
    if (e instanceof UserError) return e.message;
    throw e;
  };
  let dev: Device;
  try {
    dev = (await resolveDevice(device)).device;
  } catch (e) {
    return { refusals: { device: message(e) } };
  }
  let mode: QuantizeMode;
  try {
    // 'auto' never refuses, whatever the model's size: only an explicit int8/int4 can
    mode = resolveQuantize(quantize, dev, 'float32', 0);
  } catch (e) {
    return { device: dev, refusals: { quantize: message(e) } };
  }
  try {
    await resolvePrecision(precision, dev, 'float32', mode);
  } catch (e) {
    return { device: dev, refusals: { precision: message(e) } };
  }
  return { device: dev, refusals: {} };
}
