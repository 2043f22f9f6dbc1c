// Gemma2ForCausalLM (gemma-2-2b/9b/27b): embeddings × √hidden, RMSNorm with (1 + w), a norm after
// attention and around the MLP ("sandwich" norms), GELU-tanh GeGLU, attention-logit and final-logit
// soft-capping, query scale query_pre_attn_scalar^-½, and a sliding window on every other layer
// (even layers slide, as in HF's Gemma2 unless config.layer_types says otherwise). Tied head.
import { ConfigReader, FamilyDef, parseDims, registerFamily } from '../config';
import { layerPrefix } from '../layers';

export const gemma2: FamilyDef = {
  modelTypes: ['gemma2'],
  parseConfig(hf, file) {
    const r = new ConfigReader(hf, file);
    const dims = parseDims(r, 8192);
    const act = r.str('hidden_activation', r.str('hidden_act', 'gelu_pytorch_tanh'));
    if (act !== 'gelu_pytorch_tanh' && act !== 'gelu_tanh') r.fail(`hidden_activation "${act}" is not supported for gemma2 (supported: gelu_pytorch_tanh)`);
    const window = r.int('sliding_window', 4096);
    const types = r.raw('layer_types');
    let sliding: (number | undefined)[];
    if (Array.isArray(types)) {
      sliding = types.map((t, i) => {
        if (t === 'sliding_attention') return window;
        if (t === 'full_attention') return undefined;
        return r.fail(`layer_types[${i}] is "${String(t)}"; expected "sliding_attention" or "full_attention"`);
      });
    } else sliding = Array.from({ length: dims.numLayers }, (_, i) => (i % 2 === 0 ? window : undefined));
    const softcap = (k: string): number | undefined => {
      const v = r.raw(k);
      return v === null || v === undefined ? undefined : r.num(k);
    };
    return {
      modelType: 'gemma2',
      ...dims,
      rope: { theta: r.num('rope_theta', 10000) },
      tieWordEmbeddings: r.bool('tie_word_embeddings', true),
      activation: 'gelu_tanh',
      attentionBias: r.bool('attention_bias', false),
      gemma: { embedScale: Math.sqrt(dims.hiddenSize), attnSoftcap: softcap('attn_logit_softcapping'), finalSoftcap: softcap('final_logit_softcapping') },
      slidingWindow: sliding,
      queryScale: 1 / Math.sqrt(r.num('query_pre_attn_scalar', dims.headDim)),
      bosTokenId: typeof hf.bos_token_id === 'number' ? hf.bos_token_id : undefined,
      eosTokenIds: r.eosIds(),
    };
  },
  block(b, x, i) {
    const g = b.g;
    const p = layerPrefix(i);
    const plusOne = true; // Gemma's RMSNorm scales by (1 + w)
    const a = b.attention(b.rmsNorm(x, `${p}.input_layernorm`, plusOne), i, { softcap: b.cfg.gemma?.attnSoftcap });
    const h = g.add(x, b.rmsNorm(a, `${p}.post_attention_layernorm`, plusOne));
    const m = b.mlp(b.rmsNorm(h, `${p}.pre_feedforward_layernorm`, plusOne), i);
    return g.add(h, b.rmsNorm(m, `${p}.post_feedforward_layernorm`, plusOne));
  },
};
registerFamily(gemma2);
