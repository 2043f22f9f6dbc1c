// SmolLM3ForCausalLM (SmolLM3-3B): the Llama block where some layers skip RoPE (NoPE). no_rope_layers[i]
// is 1 for a layer that uses RoPE and 0 for a NoPE layer; without the list, every no_rope_layer_interval-th
// layer (i + 1 divisible by it, default 4) is NoPE. Optional sliding window on the NoPE layers only
// (use_sliding_window + sliding_window, or layer_types). Tied head by default; rope_theta default 2e6.
import { ConfigReader, parseLayerTypes } from '../config';
import type { FamilyDef } from '../family';
import { decoderWeights } from '../weight-table';
import { llamaBlock, parseLlamaLike } from './llama';

export const smollm3: FamilyDef = {
  name: 'smollm3',
  parseConfig(hf, file) {
    const base = parseLlamaLike(hf, file, 'smollm3', { maxPositions: 32768, theta: 2_000_000, tie: true, numKvHeads: 4 });
    const r = new ConfigReader(hf, file);
    const interval = r.int('no_rope_layer_interval', 4);
    const useRope = r.intList('no_rope_layers') ?? Array.from({ length: base.numLayers }, (_, i) => ((i + 1) % interval !== 0 ? 1 : 0));
    if (useRope.length < base.numLayers) r.fail(`no_rope_layers has ${useRope.length} entries for ${base.numLayers} layers`);
    const window = r.bool('use_sliding_window', false) ? r.optNum('sliding_window') : undefined;
    const types = parseLayerTypes(r, base.numLayers, (i) => (window !== undefined && !useRope[i] ? 'sliding_attention' : 'full_attention'));
    return {
      ...base,
      layerRope: base.layerRope.map((t, i) => (useRope[i] ? t : null)), // SmolLM3 quirk: NoPE layers
      slidingWindow: types.map((t) => (t === 'sliding_attention' ? window : undefined)),
    };
  },
  weights: (cfg) => decoderWeights(cfg),
  block: llamaBlock, // the NoPE choice is in cfg.layerRope, read by the shared attention
};
