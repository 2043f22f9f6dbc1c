// Builds the two graphs a model needs from its config and family:
//  • forward: token ids + a KV cache → logits at chosen rows, their argmax and one chosen log-prob each,
//    and the new keys/values (prefill, decode, teacher forcing and next-token log-probs all use it);
//  • gradient: input embeddings → weighted cross-entropy at chosen (row, token) targets, and its gradient
//    with respect to the embeddings (GReaTer) and optionally every weight (training the demo model).
import { buildBackward } from '../autodiff/backward';
import { DType, Value } from '../graph/graph';
import { Graph } from '../graph/ops';
import { toModelProto } from '../graph/serialize';
import { ModelConfig } from './config';
import type { FamilyDef } from './family';
import { AttentionInputs, LayerBuilder, LayerNumerics, ResidentWeights, RotaryInputs } from './layers';
import { ROPE_INPUTS, ropeKindsUsed } from './rope';

export interface BuiltGraph {
  model: Uint8Array;
  /** HF names of the weights the graph takes as inputs "w.<name>". */
  weightNames: string[];
  hasSlidingBias: boolean;
  /** present_* hold cache + new tokens (fed back whole as the next past), not only the new tokens. */
  fullPresent?: boolean;
}

function attentionInputs(g: Graph, cfg: ModelConfig, dtype: DType, withCache: boolean): AttentionInputs {
  const hd = cfg.headDim;
  // One cos/sin pair [B,S,rotaryDim] per rotary table some layer reads (none when every layer is NoPE).
  const rope: AttentionInputs['rope'] = {};
  for (const kind of ropeKindsUsed(cfg)) {
    const cos = g.input(ROPE_INPUTS[kind].cos, dtype, ['B', 'S', cfg.rotaryDim]);
    const sin = g.input(ROPE_INPUTS[kind].sin, dtype, ['B', 'S', cfg.rotaryDim]);
    const r: RotaryInputs = { cosQ: g.unsqueeze(cos, [1, 2]), sinQ: g.unsqueeze(sin, [1, 2]), cosK: g.unsqueeze(cos, [1]), sinK: g.unsqueeze(sin, [1]) };
    rope[kind] = r;
  }
  const T = withCache ? 'P+S' : 'S';
  const biasFull = g.input('bias_full', dtype, ['B', 1, 1, 'S', T]);
  const biasSliding = cfg.slidingWindow.some((w) => w !== undefined) ? g.input('bias_sliding', dtype, ['B', 1, 1, 'S', T]) : null;
  const past = (kind: string) => (withCache ? Array.from({ length: cfg.numLayers }, (_, i) => g.input(`past_${kind}.${i}`, dtype, ['B', cfg.numKvHeads, 'P', hd])) : null);
  return { rope, biasFull, biasSliding, pastK: past('key'), pastV: past('value') };
}

/** Embeddings [B,S,H] → final hidden states [B,S,H] through every block. */
function decoder(b: LayerBuilder, family: FamilyDef, x: Value): Value {
  const g = b.g;
  // Family scaling of the input embeddings (Gemma's √hidden, Granite's multiplier); gradients are taken before it.
  if (family.embed) x = g.scope('embed_scale', () => family.embed!(b, x));
  for (let i = 0; i < b.cfg.numLayers; i++) x = g.scope(`layers.${i}`, () => family.block(b, x, i));
  return x;
}

/** Rows [R] of the flattened hidden states → final norm → LM head → logits [R,V]. */
function head(b: LayerBuilder, family: FamilyDef, hidden: Value, rows: Value): Value {
  const g = b.g;
  return g.scope('head', () => {
    const flat = g.reshape(hidden, [-1, b.cfg.hiddenSize]); // [B·S,H]
    const rowsH = g.gather(flat, rows);
    const h = family.finalNorm ? family.finalNorm(b, rowsH) : b.rmsNorm(rowsH, 'model.norm');
    // [R,V], 2-D straight from the MatMul; a quantized head is under lm_head.weight even when tied. The
    // product runs in the compute format, the logits leave it in the interface one.
    const logits = b.quantizedProduct(h, 'lm_head.weight')
      ?? b.toIo(g.matmul(b.toCompute(h), b.productWeight(b.cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight')));
    return family.logits ? family.logits(b, logits) : logits;
  });
}

/**
 * `fullPresent`: present_* = Concat(past, new), for a cache that stays on the device and is fed back whole;
 * otherwise only the new tokens' keys/values (the host cache copies them into its preallocated columns).
 * `numerics.quant`: linear layers (and the head) multiply by block-quantized weights (generation on CPU);
 * `numerics.compute`: the weights' and products' format (float16 on a GPU).
 */
export function buildForwardGraph(cfg: ModelConfig, family: FamilyDef, dtype: DType, resident?: ResidentWeights, fullPresent = false, numerics: Omit<LayerNumerics, 'resident'> = {}): BuiltGraph {
  const g = new Graph(`${cfg.modelType}-forward`);
  const ids = g.input('input_ids', 'int64', ['B', 'S']);
  const att = attentionInputs(g, cfg, dtype, true);
  const rows = g.input('logit_rows', 'int64', ['R']);
  const b = new LayerBuilder(g, cfg, dtype, att, family.weights(cfg), { ...numerics, resident });
  const x = g.scope('embed', () => b.toIo(g.gather(b.weight('model.embed_tokens.weight'), ids)));
  const hidden = decoder(b, family, x);
  // Output order: presents, next_ids, score_logprobs[, logits]. A session with device outputs runs through one
  // onnxruntime-node IoBinding that keeps every output it ever bound, so it must fetch every output every run:
  // the device-cache variant (fullPresent) has no logits output at all, so none cross the bus.
  (fullPresent ? b.allK : b.newK).forEach((k, i) => g.output(k, `present_key.${i}`));
  (fullPresent ? b.allV : b.newV).forEach((v, i) => g.output(v, `present_value.${i}`));
  const logits = head(b, family, hidden, rows);
  // Small results so decoding and scoring need not fetch [R,V] logits: each row's greedy token, and the
  // log-probability of a chosen token per row.
  g.output(g.argMax(logits, 1), 'next_ids');
  const scoreIds = g.input('score_ids', 'int64', ['R', 1]);
  g.output(g.reshape(g.gatherElements(g.logSoftmax(logits, -1), scoreIds, 1), [-1]), 'score_logprobs');
  if (!fullPresent) g.output(logits, 'logits');
  return { model: toModelProto(g), weightNames: b.weightInputs().map((v) => v.name.slice(2)), hasSlidingBias: att.biasSliding !== null, fullPresent };
}

export interface GradGraphOptions {
  /** Also return ∂loss/∂w for every weight (training). */
  weights: boolean;
  /** Feed token ids and gather the embeddings in the graph (training), instead of embeddings (GReaTer). */
  fromIds: boolean;
  /** Frozen weights as initializers in an external file (not with `weights`). */
  resident?: ResidentWeights;
  /** The weights' and products' format (LayerNumerics.compute); the loss and the gradients stay in `dtype`. */
  compute?: DType;
}

export function buildGradGraph(cfg: ModelConfig, family: FamilyDef, dtype: DType, opts: GradGraphOptions): BuiltGraph {
  if (opts.weights && opts.resident) throw new Error('internal: weight gradients need weights as graph inputs');
  const g = new Graph(`${cfg.modelType}-grad`);
  const embedsIn = opts.fromIds ? null : g.input('inputs_embeds', dtype, ['B', 'S', cfg.hiddenSize]);
  const idsIn = opts.fromIds ? g.input('input_ids', 'int64', ['B', 'S']) : null;
  // The input-gradient graph reads cached keys/values of a prefix (past_*; P may be 0): a prompt's question comes
  // from the prefix cache instead of running through the model again. Training feeds whole sequences.
  const att = attentionInputs(g, cfg, dtype, !opts.weights);
  const targetRows = g.input('target_rows', 'int64', ['N']);
  const targetIds = g.input('target_ids', 'int64', ['N', 1]);
  const targetScale = g.input('target_scale', dtype, ['N', 1]); // 1 / temperature per target
  const targetWeight = g.input('target_weight', dtype, ['N']);
  if (opts.weights && opts.compute && opts.compute !== dtype) throw new Error('internal: weight gradients need weights in the interface format');
  const b = new LayerBuilder(g, cfg, dtype, att, family.weights(cfg), { resident: opts.resident, compute: opts.compute });
  const x = embedsIn ?? g.scope('embed', () => b.toIo(g.gather(b.weight('model.embed_tokens.weight'), idsIn!)));
  const hidden = decoder(b, family, x);
  const loss = g.scope('loss', () => {
    const logits = g.mul(head(b, family, hidden, targetRows), targetScale); // [N,V] / T
    const lp = g.gatherElements(g.logSoftmax(logits, -1), targetIds, 1); // [N,1]
    const nll = g.neg(g.reshape(lp, [-1])); // [N]
    g.output(g.identity(nll), 'nll');
    return g.reduceSum(g.mul(nll, targetWeight), [0], false); // Σ w·nll, a scalar
  });
  g.output(loss, 'loss');
  const weightVals = b.weightInputs();
  const wrt = [...(embedsIn ? [embedsIn] : []), ...(opts.weights ? weightVals : [])];
  const grads = buildBackward(g, loss, wrt);
  if (embedsIn) {
    const gradRows = g.input('grad_rows', 'int64', ['G']);
    g.output(g.gather(g.reshape(grads.get(embedsIn)!, [-1, cfg.hiddenSize]), gradRows), 'grad_embeds');
  }
  if (opts.weights) for (const w of weightVals) g.output(grads.get(w)!, `grad.${w.name}`);
  return { model: toModelProto(g), weightNames: weightVals.map((v) => v.name.slice(2)), hasSlidingBias: att.biasSliding !== null };
}

