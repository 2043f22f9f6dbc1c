// The one module that owns onnxruntime-node: device → execution provider, session creation, and run.
// Support matrix (onnxruntime-node 1.30 prebuilt packages):
//   cpu    — bundled everywhere.
//   webgpu — bundled (Windows, macOS, Linux x64); needs a GPU adapter (Vulkan/Metal/D3D12).
//   cuda   — Linux x64 / Windows x64 only, after the CUDA 12 provider install (see README).
// onnxruntime does not fall back between providers, so `auto` probes each with a tiny session.
import * as fs from 'fs';
import * as ort from 'onnxruntime-node';
import { UserError } from '../errors';
import { DType } from '../graph/graph';
import { Graph } from '../graph/ops';
import type { GatedModel } from '../graph/gated';
import { toModelProto } from '../graph/serialize';
import { gpuName, listDir } from './gpu-name';

export const DEVICES = Object.freeze({
  cpu: ['cpu'],
  cuda: ['cuda'],
  webgpu: ['webgpu'],
} as const);
export type Device = keyof typeof DEVICES;
export type DeviceChoice = Device | 'auto';

export function parseDevice(s: string): DeviceChoice {
  if (s === 'auto' || s in DEVICES) return s as DeviceChoice;
  throw new UserError(`unknown device '${s}'; valid devices: auto, ${Object.keys(DEVICES).join(', ')}`);
}

export type TensorArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
export interface HostTensor {
  dtype: DType;
  dims: readonly number[];
  data: TensorArray;
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', float16: 'float16', int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool' };

export function toOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as ort.Tensor.DataType, [...t.dims]);
}

// Smallest useful model (x + x), used to probe whether a provider works here.
function probeModel(): Uint8Array {
  const g = new Graph('probe');
  const x = g.input('x', 'float32', [1]);
  g.output(g.add(x, x), 'y');
  return toModelProto(g);
}
const probeCache = new Map<Device, string | null>();

/**
 * onnxruntime's own log lines (a failed CUDA probe prints a 400-character error with source paths) would reach the
 * user's terminal beside our one-line message; errors still arrive as exceptions. The level is read once, when the
 * first session is created, and transformers.js sets its own on import: so it is set again before every creation.
 */
function quietOrt(): void {
  ort.env.logLevel = 'fatal';
}

/** A provider failure in a few words: onnxruntime's messages carry source paths and C++ lambda names. */
export function providerError(message: string): string {
  const first = message.split('\n')[0];
  const adapter = /Failed to get a WebGPU adapter: ([^.]*)/.exec(first);
  if (adapter) return `no WebGPU adapter (${adapter[1].trim()}: no GPU driver for Vulkan, Metal or D3D12 found)`;
  if (/Cuda|CUDA/.test(first) && /Failed to load (shared )?library|cannot open shared object/.test(first)) {
    return 'the CUDA execution provider is not installed (its libraries are a separate download)';
  }
  return first.replace(/\/onnxruntime_src\/\S+ /g, '').replace(/\S*::<lambda\(\)>\s*/g, '').slice(0, 200);
}

async function probe(device: Device): Promise<string | null> {
  if (probeCache.has(device)) return probeCache.get(device)!;
  let err: string | null = null;
  try {
    quietOrt();
    const s = await ort.InferenceSession.create(probeModel(), { executionProviders: [...DEVICES[device]], logSeverityLevel: 4 });
    await s.release();
  } catch (e) {
    err = providerError(String((e as Error).message ?? e));
  }
  probeCache.set(device, err);
  return err;
}

const halfProbeCache = new Map<Device, string | null>();

/**
 * Whether `device` runs float16 kernels itself: a float16 product with CPU fallback forbidden, so a provider
 * without them (a WebGPU adapter lacking Dawn's shader-f16 feature) fails instead of quietly using the CPU.
 */
export async function probeHalf(device: Device): Promise<string | null> {
  if (halfProbeCache.has(device)) return halfProbeCache.get(device)!;
  let err: string | null = null;
  try {
    const g = new Graph('probe-f16');
    const x = g.input('x', 'float16', [1, 4]);
    g.output(g.matmul(g.mul(x, x), g.transposeLast2(x)), 'y');
    quietOrt();
    const s = await ort.InferenceSession.create(toModelProto(g), {
      executionProviders: [...DEVICES[device]], logSeverityLevel: 4, extra: { session: { disable_cpu_ep_fallback: '1' } },
    });
    await s.run({ x: new ort.Tensor('float16', new Uint16Array([0x3c00, 0x3c00, 0x3c00, 0x3c00]), [1, 4]) });
    await s.release();
  } catch (e) {
    err = providerError(String((e as Error).message ?? e));
  }
  halfProbeCache.set(device, err);
  return err;
}

export interface DeviceResolution {
  device: Device;
  /** For the user, one line: which GPU `auto` picked, or why it did not pick one. */
  note?: string;
}

/** `softwareOnly` is for tests: it lets a software adapter stand in for a hardware one. */
export async function resolveDevice(choice: DeviceChoice, softwareOnly: () => string | null = softwareOnlyReason): Promise<DeviceResolution> {
  if (choice !== 'auto') {
    if (choice !== 'cpu') {
      const err = await probe(choice);
      if (err) throw new UserError(`device '${choice}' is not usable here: ${err}` + (choice === 'cuda' ? '; see README, section "GPU"' : choice === 'webgpu' ? '; see README, section "GPU"' : ''));
    }
    return { device: choice };
  }
  const reasons: string[] = [];
  for (const d of ['cuda', 'webgpu'] as const) {
    const err = d === 'webgpu' ? (softwareOnly() ?? (await probe(d))) : await probe(d);
    if (!err) return { device: d, note: `auto: using ${d === 'cuda' ? 'CUDA' : 'WebGPU'} on ${gpuName() ?? 'the GPU (its name is not known here)'}` };
    reasons.push(`${d}: ${err}`);
  }
  return { device: 'cpu', note: `auto: using CPU (${reasons.join('; ')})` };
}

/**
 * On Linux a Vulkan adapter without a GPU device node is a software rasterizer (Mesa's lavapipe, SwiftShader):
 * correct but about 10× slower than the CPU provider, so `auto` does not pick it (`--device webgpu` still does).
 * onnxruntime-node does not expose the WebGPU adapter's name, hence the device-node check.
 */
export function softwareOnlyReason(platform: string = process.platform, exists: (p: string) => boolean = fs.existsSync, list: (d: string) => string[] = listDir): string | null {
  if (platform !== 'linux') return null;
  if (exists('/dev/dxg')) return null; // WSL 2 GPU paravirtualization
  if (list('/dev').some((n) => /^nvidia\d+$/.test(n))) return null;
  if (list('/dev/dri').some((n) => n.startsWith('renderD'))) return null;
  return 'no GPU device (/dev/dri/renderD*, /dev/nvidia*), only a software adapter at best; pass --device webgpu to use it anyway';
}

/**
 * `precise` keeps only basic optimizations: ORT's fusions (QuickGelu, FusedMatMul…) are float32-only.
 * `keepWeightLayout` is for graphs whose weights are initializers (see Session.options).
 */
export interface SessionOptions {
  precise?: boolean;
  keepWeightLayout?: boolean;
  deviceOutputs?: readonly string[];
}

/** One onnxruntime session, possibly shared by several views (a gated model's branches). */
class SharedSession {
  private inFlight = 0;
  private idle: (() => void) | null = null;

  constructor(readonly s: ort.InferenceSession, private views: number) {}

  async run(feeds: Record<string, ort.Tensor>, fetch?: readonly string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    this.inFlight++;
    try {
      return fetch ? await this.s.run(feeds, fetch) : await this.s.run(feeds);
    } finally {
      if (--this.inFlight === 0 && this.idle) this.idle();
    }
  }

  /** Releases the session once every view has let go and no run is in flight. */
  async release(): Promise<void> {
    if (--this.views > 0) return;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    if (process.env.GREATER_ORT_PROFILE) this.s.endProfiling();
    await this.s.release();
  }
}

// ONNX element types of the inputs a gated view feeds placeholders for (see graph/gated.ts).
const ELEM_TYPE: Record<number, DType> = { 1: 'float32', 2: 'uint8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };
const ZEROS: Record<DType, (n: number) => ort.Tensor.DataType> = {
  float32: (n) => new Float32Array(n), float64: (n) => new Float64Array(n), float16: (n) => new Uint16Array(n),
  int64: (n) => new BigInt64Array(n), int32: (n) => new Int32Array(n), uint8: (n) => new Uint8Array(n), bool: (n) => new Uint8Array(n),
};

/** A feed for an input the running branch does not read: symbolic dims 0 (no elements), fixed dims kept. */
function unusedFeed(name: string, elemType: number, dims: readonly (number | null)[]): ort.Tensor {
  const dtype = ELEM_TYPE[elemType];
  if (!dtype) throw new Error(`internal: no feed of ONNX element type ${elemType} for the gated input ${name}`);
  const shape = dims.map((d) => d ?? 0);
  return new ort.Tensor(ORT_TYPE[dtype], ZEROS[dtype](shape.reduce((a, b) => a * b, 1)), shape);
}

/** GREATER_FAULT=device-lost:N makes the N-th run of this process fail as a lost GPU does (the recovery tests);
 *  GREATER_FAULT=slow-run:MS delays every run by MS ms, so a signal sent mid-step lands inside that step on a tiny
 *  model too (the interrupt tests). */
const DEVICE_LOST_AT = Number(/^device-lost:(\d+)$/.exec(process.env.GREATER_FAULT ?? '')?.[1] ?? 0);
const SLOW_RUN_MS = Number(/^slow-run:(\d+)$/.exec(process.env.GREATER_FAULT ?? '')?.[1] ?? 0);
let runs = 0;

async function faultPoint(): Promise<void> {
  if (++runs === DEVICE_LOST_AT) throw new Error('WebGPU device lost (GREATER_FAULT)');
  if (SLOW_RUN_MS) await new Promise((r) => setTimeout(r, SLOW_RUN_MS));
}

/** One line for a failed run: out of memory and a lost GPU say what to do; anything else names the graph. */
function runFailure(message: string, graph: string): Error {
  const first = message.split('\n')[0];
  if (/bad_alloc|out of memory|Failed to allocate/i.test(message)) {
    return new UserError(`out of memory while running the ${graph} graph; try a smaller batch, shorter inputs or a smaller model`);
  }
  if (/device (?:was |is )?lost|DeviceLost|VK_ERROR_DEVICE_LOST/i.test(message)) {
    return new UserError(`the GPU device was lost while running the ${graph} graph (${first.slice(0, 120)}); --device cpu runs without it`);
  }
  return new Error(`${graph}: ${first}`);
}

export class Session {
  private constructor(
    private readonly shared: SharedSession,
    readonly name: string,
    /** A gated view's mode and placeholders for the inputs only other branches read, added to every run. */
    private readonly fixedFeeds: Readonly<Record<string, ort.Tensor>> = {},
    /** A gated view's own outputs: fetched when a run names none. */
    private readonly ownOutputs?: readonly string[],
  ) {}

  private static options(name: string, device: Device, opts: SessionOptions): ort.InferenceSession.SessionOptions {
    return {
      executionProviders: [...DEVICES[device]],
      graphOptimizationLevel: opts.precise ? 'basic' : 'all',

      // Resident matrices are stored [in, out] already (layers.ts, productWeight); folding the gradient graph's
      // Transpose(W) for dX = dY·W would add a second, transposed copy of every weight to the session.
      ...(opts.keepWeightLayout ? { extra: { optimization: { disable_specified_optimizers: 'ConstantFolding' } } } : {}),
      // Outputs that stay in GPU memory (WebGPU only): returned by runMixed as device tensors.
      ...(opts.deviceOutputs?.length ? { preferredOutputLocation: Object.fromEntries(opts.deviceOutputs.map((n) => [n, 'gpu-buffer' as const])) } : {}),
      // For engine work: onnxruntime's per-node timings, written as JSON into this folder when the session ends.
      ...(process.env.GREATER_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: `${process.env.GREATER_ORT_PROFILE}/${name}` } : {}),
    };
  }

  private static async open(name: string, model: Uint8Array | string, device: Device, opts: SessionOptions, views = 1): Promise<SharedSession> {
    const sessionOpts = Session.options(name, device, opts);
    quietOrt();
    try {
      const s = await (typeof model === 'string' ? ort.InferenceSession.create(model, sessionOpts) : ort.InferenceSession.create(model, sessionOpts));
      return new SharedSession(s, views);
    } catch (e) {
      throw new Error(`onnxruntime could not create the ${name} session: ${String((e as Error).message ?? e).split('\n')[0]}`);
    }
  }

  static async create(name: string, model: Uint8Array | string, device: Device, opts: SessionOptions = {}): Promise<Session> {
    return new Session(await Session.open(name, model, device, opts), name);
  }

  /**
   * One session over a gated model (graph/gated.ts) and a view per branch, by branch name: each view feeds its
   * mode and placeholder feeds for the inputs only other branches read. The session goes when every view is released.
   */
  static async createGated(name: string, model: string, gated: GatedModel, device: Device, opts: SessionOptions = {}): Promise<Map<string, Session>> {
    const shared = await Session.open(name, model, device, opts, gated.branches.size);
    const views = new Map<string, Session>();
    [...gated.branches].forEach(([branch, io], k) => {
      const own = new Set(io.inputs);
      const fixed: Record<string, ort.Tensor> = { [gated.modeInput]: new ort.Tensor('int64', BigInt64Array.from([BigInt(k)]), []) };
      for (const i of gated.inputs) if (!own.has(i.name)) fixed[i.name] = unusedFeed(i.name, i.elemType, i.dims);
      views.set(branch, new Session(shared, branch, fixed, io.outputs));
    });
    return views;
  }

  async run(feeds: Record<string, HostTensor | ort.Tensor>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    return (await this.runMixed(feeds, fetch)).host;
  }

  /** Like run, but outputs kept on the device (see `deviceOutputs`) come back as device tensors the caller disposes. */
  async runMixed(feeds: Record<string, HostTensor | ort.Tensor>, fetch?: readonly string[]): Promise<{ host: Record<string, HostTensor>; device: Record<string, ort.Tensor> }> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = v instanceof ort.Tensor ? v : toOrt(v as HostTensor);
    Object.assign(ortFeeds, this.fixedFeeds);
    let res: ort.InferenceSession.OnnxValueMapType;
    try {
      if (DEVICE_LOST_AT || SLOW_RUN_MS) await faultPoint();
      res = await this.shared.run(ortFeeds, fetch ?? this.ownOutputs);
    } catch (e) {
      throw runFailure(String((e as Error).message ?? e), this.name);
    }
    const out: Record<string, HostTensor> = {};
    const device: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(res)) {
      if (t.location !== 'cpu') {
        device[k] = t;
        continue;
      }
      const dtype = (Object.keys(ORT_TYPE) as DType[]).find((d) => ORT_TYPE[d] === t.type);
      if (!dtype) throw new Error(`${this.name}: output ${k} has unsupported type ${t.type}`);
      out[k] = { dtype, dims: t.dims, data: t.data as TensorArray };
    }
    return { host: out, device };
  }

  async release(): Promise<void> {
    await this.shared.release();
  }
}
