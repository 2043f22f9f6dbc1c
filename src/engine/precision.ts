// The numeric formats a model runs in, chosen once at load: weight-only quantization of generation on CPU
// (--quantize) and the float width of the graphs (--precision). Each bad combination is refused here, in one
// line, before any weights are read.
import { UserError } from './errors';
import { QUANTIZE_CHOICES, QuantizeChoice, QuantizeMode } from './model/quantize';
import { Device } from './runtime/session';

export type { QuantizeChoice, QuantizeMode } from './model/quantize';

export function parseQuantize(s: string): QuantizeChoice {
  if ((QUANTIZE_CHOICES as readonly string[]).includes(s)) return s as QuantizeChoice;
  throw new UserError(`unknown quantization '${s}'; valid: ${QUANTIZE_CHOICES.join(', ')}`);
}

/**
 * `auto` quantizes to int8 on CPU once the linear layers hold this many parameters: below it a decode step is
 * dominated by per-node overhead, not by reading weights, and int8 gains nothing (bench/quantize.ts).
 */
export const AUTO_INT8_MIN_PARAMS = 20e6;

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
