// A rough memory (and time) guess from the model's name, shown before anything is measured, so nobody starts an
// 8B model on a laptop by accident. The panel's time figure comes from run/estimate (the run's own model timed on
// its device) once measured; this guess is labelled as one.
// Constants: fp32 weights (4 B/param); CPU decode ≈ 0.21 ns per parameter per token (135M model: 28 ms per
// token on 2 cores, ../shared/notes), prefill ~8× cheaper per token, a backward ≈ 2 forwards; GPUs ~20× faster.
import type { DeviceChoice } from '../worker/protocol';

// one duration format for the panel and the CLI: the optimizer's, through the protocol
export { formatDuration } from '../worker/protocol';

export interface EstimateInput {
  model: string;
  device: DeviceChoice;
  steps: number;
  topQ: number;
  trainSize: number;
  /** tokens of reasoning generated per example */
  reasoningTokens?: number;
}

export interface Estimate {
  /** undefined when the model size is unknown */
  parameters?: number;
  memoryBytes?: number;
  seconds?: number;
}

const KNOWN: [RegExp, number][] = [
  // the built-in demo model: 0.93M parameters (src/demo, models/greater-demo)
  [/^demo$/i, 0.93e6],
  [/stories260k/i, 2.6e5],
  [/stories15m/i, 15e6],
  [/stories42m/i, 42e6],
  [/stories110m/i, 110e6],
];

/** Parameter count from a known id or a size tag in the name ("SmolLM2-360M", "Qwen2.5-0.5B", "gemma-2-2b"). */
export function parameterCount(model: string): number | undefined {
  for (const [re, n] of KNOWN) if (re.test(model)) return n;
  const m = /(?:^|[-_/.])(\d+(?:\.\d+)?)\s*([mb])(?![a-z])/i.exec(model);
  if (!m) return undefined;
  return parseFloat(m[1]) * (m[2].toLowerCase() === 'b' ? 1e9 : 1e6);
}

export function estimateRun(x: EstimateInput): Estimate {
  const parameters = parameterCount(x.model);
  if (!parameters) return {};
  const gpu = x.device === 'cuda' || x.device === 'webgpu';
  const perToken = 0.21e-9 * parameters / (gpu ? 20 : 1);
  const gen = x.reasoningTokens ?? 64;
  const promptTokens = 96;
  // per step and example: reasoning for the current prompt, one forward+backward over prompt+reasoning,
  // and reasoning + scoring for each of the topQ candidates
  const perExample = gen * perToken + 3 * (promptTokens + gen) * perToken / 8 + x.topQ * (gen * perToken + (promptTokens + gen) * perToken / 8);
  const seconds = x.steps * x.trainSize * perExample;
  // weights + one gradient graph's activations (~ weights for small models) + runtime
  const memoryBytes = parameters * 4 * 2.2 + 250e6;
  return { parameters, memoryBytes, seconds };
}


export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
