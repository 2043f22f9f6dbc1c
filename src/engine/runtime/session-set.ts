// The sessions of one model on one device: the forward graph (prefill, decode, scoring) and the gradient
// graphs, created lazily, and where their weights live (one host copy fed as inputs, or one external-data
// file every session loads).
import * as ort from 'onnxruntime-node';
import { ModelConfig } from '../model/config';
import type { FamilyDef } from '../model/family';
import { expectedWeights } from '../model/families/index';
import { gateGraphs } from '../graph/gated';
import { BuiltGraph, buildForwardGraph, buildGradGraph } from '../model/graphs';
import { QuantizedWeights, TRANSPOSED, residentLayout } from '../model/layers';
import { QuantizeMode, quantizeLinears } from '../model/quantize';
import { FloatArray } from '../model/rope';
import { DType } from '../graph/graph';
import { f32ToF16Bits } from '../weights/half';
import { ResidentWeightsDir, StoredWeight } from './resident-weights';
import type { WeightsCache } from './weights-cache';
import { Device, Session } from './session';

export interface GraphSession {
  s: Session;
  g: BuiltGraph;
}

/** Resident weights from the weights cache: `hit` when the entry exists (the host then holds only the embedding). */
export interface CachedWeights {
  cache: WeightsCache;
  key: string;
  /** The checkpoint files (an entry whose files are gone is evicted). */
  sources: readonly string[];
  /** About what the entry takes on disk. */
  bytes: number;
  hit: ResidentWeightsDir | null;
}

export class SessionSet {
  private forwardSession: Promise<GraphSession> | null = null;
  private decoderSession: Promise<GraphSession> | null = null;
  private readonly gradSessions = new Map<string, Promise<GraphSession>>();
  /** Forward and input-gradient graphs as the branches of one session (see gated()). */
  private gatedViews: Promise<{ forward: GraphSession; gradient: GraphSession }> | null = null;
  private readonly weightTensors = new Map<string, ort.Tensor>();
  private residentDir: ResidentWeightsDir | null = null;
  private quantizedWeights: QuantizedWeights | null = null;

  constructor(
    private readonly config: ModelConfig,
    private readonly family: FamilyDef,
    readonly device: Device,
    private readonly dtype: 'float32' | 'float64',
    /** Host weights by HF name; in resident mode only the embedding table stays once sessions exist. */
    readonly weights: Map<string, FloatArray>,
    readonly weightsMode: 'inputs' | 'resident',
    /** Weight-only quantization of the forward (generation) graphs; gradient graphs keep the float weights. */
    readonly quantize: QuantizeMode = 'none',
    /** fp16: weights stored and multiplied in float16 (GPU); norms, softmax, the loss and gradients stay in dtype. */
    readonly precision: 'fp32' | 'fp16' = 'fp32',
    /** LoadOptions.gradients: make the shared forward + gradient session at once. */
    private readonly expectGradients = false,
    /** Resident mode: where the weights file comes from or goes (otherwise a folder private to this process). */
    private readonly cached: CachedWeights | null = null,
  ) {
    this.deviceKv = device === 'webgpu' && process.env.GREATER_HOST_KV !== '1';
    this.gate = device === 'cpu' && weightsMode === 'resident' && process.env.GREATER_SEPARATE_SESSIONS !== '1';
    this.compute = precision === 'fp16' ? 'float16' : dtype;
    const shapes = expectedWeights(config);
    for (const [name, data] of weights) this.weightTensors.set(name, this.compute === 'float16' ? new ort.Tensor('float16', f32ToF16Bits(data as Float32Array), shapes.get(name)!) : new ort.Tensor(dtype, data, shapes.get(name)!));
  }

  /** The format weights are stored and multiplied in. */
  private readonly compute: DType;

  /**
   * Whether decoding keeps its KV cache in device memory: on WebGPU (the one provider whose outputs can stay
   * on the GPU in onnxruntime-node) the cache never crosses the bus; elsewhere it lives on the host.
   * GREATER_HOST_KV=1 forces the host cache (benchmarks compare the two).
   */
  readonly deviceKv: boolean;

  /**
   * Whether the forward and input-gradient graphs run as branches of one session, so the weights are in memory
   * once (onnxruntime gives each session its own copy of the initializers; the branches of an If share the
   * outer graph's). On the CPU with resident weights; GREATER_SEPARATE_SESSIONS=1 keeps two sessions
   * (benchmarks compare the two).
   */
  readonly gate: boolean;

  /** onnxruntime sessions alive now (each holds its own copy of the weights). */
  get liveSessions(): number {
    return this.live;
  }
  private live = 0;

  /** The forward graph with host outputs: prefill of prefixes, teacher-forced logits, host-cache decoding. */
  forward(): Promise<GraphSession> {
    if (!this.forwardSession && this.gate && this.expectGradients) return this.gated().then((v) => v.forward);
    if (!this.forwardSession) this.forwardSession = this.createForward(false);
    return this.forwardSession;
  }

  /**
   * The decoding variant for a device-resident cache (only when deviceKv): presents are past + new and stay
   * on the GPU; no logits output. A second session, so resident weights are loaded twice on the device.
   */
  decoder(): Promise<GraphSession> {
    if (!this.deviceKv) throw new Error('internal: the device decoder exists only for a device-resident cache');
    if (!this.decoderSession) this.decoderSession = this.createForward(true);
    return this.decoderSession;
  }

  private forwardGraph(deviceKv: boolean): BuiltGraph {
    const quant = this.quantized();
    return buildForwardGraph(this.config, this.family, this.dtype, this.resident()?.map, deviceKv, { quant: quant ?? undefined, compute: this.compute });
  }

  private async createForward(deviceKv: boolean): Promise<GraphSession> {
    const resident = this.resident();
    const g = this.forwardGraph(deviceKv);
    const model = resident ? resident.writeModel(deviceKv ? 'decoder' : 'forward', g.model) : g.model;
    const onDevice = deviceKv ? Array.from({ length: this.config.numLayers }, (_, l) => [`present_key.${l}`, `present_value.${l}`]).flat() : [];
    const s = await Session.create(deviceKv ? 'decoder' : 'forward', model, this.device, { precise: this.dtype === 'float64', keepWeightLayout: !!resident, deviceOutputs: onDevice });
    this.live++;
    return { s, g };
  }

  grad(weights: boolean, fromIds: boolean): Promise<GraphSession> {
    if (this.gate && !weights && !fromIds) return this.gated().then((v) => v.gradient);
    const key = `${weights}|${fromIds}`;
    let p = this.gradSessions.get(key);
    if (!p) {
      p = (async () => {
        // Training graphs take the weights as inputs: they change every step.
        const resident = weights ? null : this.resident();
        const g = buildGradGraph(this.config, this.family, this.dtype, { weights, fromIds, resident: resident?.map, compute: this.compute });
        const model = resident ? resident.writeModel(`gradient-${key.replace('|', '-')}`, g.model) : g.model;
        const s = await Session.create('gradient', model, this.device, { precise: this.dtype === 'float64', keepWeightLayout: !!resident });
        this.live++;
        return { s, g };
      })();
      this.gradSessions.set(key, p);
    }
    return p;
  }

  /**
   * The one session of the forward and input-gradient graphs. A forward-only session made before gradients
   * were first needed is released once the shared one exists (after its runs in flight).
   */
  private gated(): Promise<{ forward: GraphSession; gradient: GraphSession }> {
    if (!this.gatedViews) {
      this.gatedViews = (async () => {
        const resident = this.resident()!;
        const fwd = this.forwardGraph(false);
        const grad = buildGradGraph(this.config, this.family, this.dtype, { weights: false, fromIds: false, resident: resident.map, compute: this.compute });
        const gm = gateGraphs([{ name: 'forward', model: fwd.model }, { name: 'gradient', model: grad.model }]);
        const views = await Session.createGated('forward+gradient', resident.writeModel('forward-gradient', gm.model), gm, this.device, { precise: this.dtype === 'float64', keepWeightLayout: true });
        this.live++;
        const v = { forward: { s: views.get('forward')!, g: fwd }, gradient: { s: views.get('gradient')!, g: grad } };
        const old = this.forwardSession;
        this.forwardSession = Promise.resolve(v.forward);
        if (old) {
          await (await old).s.release();
          this.live--;
        }
        return v;
      })();
    }
    return this.gatedViews;
  }

  /** The quantized linear weights, made once from the host copy (before resident mode drops it). */
  private quantized(): QuantizedWeights | null {
    if (this.quantize === 'none') return null;
    if (!this.quantizedWeights) {
      const matrices = quantizeLinears(this.weights, expectedWeights(this.config), this.quantize, this.config.tieWordEmbeddings);
      this.quantizedWeights = { matrices, accuracyLevel: 4 }; // int8 activations: the fast CPU path (float activations make 8-bit slower than float32)
    }
    return this.quantizedWeights;
  }

  private resident(): ResidentWeightsDir | null {
    if (this.weightsMode !== 'resident') return null;
    if (!this.residentDir) {
      this.quantized();
      const stored = () => {
        const shapes = expectedWeights(this.config);
        const out = new Map<string, StoredWeight>();
        for (const [name, w] of this.weights) {
          const data = this.compute === 'float16' ? f32ToF16Bits(w as Float32Array) : w;
          const { original, transposed } = residentLayout(name, this.config.tieWordEmbeddings);
          if (original) out.set(name, { data });
          if (transposed) out.set(TRANSPOSED(name), { data, transpose: shapes.get(name) as [number, number] });
        }
        return out;
      };
      // A cache that cannot take the entry (no space, read-only) leaves the run to a private folder.
      this.residentDir = this.cached?.hit ?? (this.cached && this.cached.cache.write(this.cached.key, this.cached.bytes, this.cached.sources, stored)) ?? ResidentWeightsDir.write(stored());
      // Sessions own the weights now; the host keeps only the embedding table (candidate scoring, embeddings).
      for (const name of [...this.weights.keys()]) {
        if (name === 'model.embed_tokens.weight') continue;
        this.weights.delete(name);
        this.weightTensors.delete(name);
      }
    }
    return this.residentDir;
  }

  /** The weight inputs "w.<name>" a graph takes (none when its weights are resident). */
  weightFeeds(names: readonly string[]): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = {};
    for (const n of names) f[`w.${n}`] = this.weightTensors.get(n)!;
    return f;
  }

  async dispose(): Promise<void> {
    const gated = this.gatedViews ? await this.gatedViews.catch(() => null) : null;
    const all = [this.forwardSession, this.decoderSession, ...this.gradSessions.values()].filter((p): p is Promise<GraphSession> => p !== null);
    for (const p of all) await (await p).s.release();
    await gated?.gradient.s.release(); // the forward view is this.forwardSession's
    this.gatedViews = null;
    this.forwardSession = null;
    this.live = 0;
    this.decoderSession = null;
    this.gradSessions.clear();
    this.residentDir?.remove();
    this.residentDir = null;
  }
}
