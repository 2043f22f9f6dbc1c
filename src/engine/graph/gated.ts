// Several serialized graphs → one model whose `mode` input picks the graph to run (nested If nodes).
// Why: onnxruntime keeps one copy of an initializer that the branches of an If read from the outer scope,
// while two sessions over the same external-data file each hold their own (prepacked) copy. So the forward
// and gradient graphs of a model share one set of weights in memory when they are branches of one session.
// Every branch keeps its own nodes, names and small constants (prefixed, so nothing collides); external-data
// initializers (the resident weights) move to the outer graph, once. Each branch returns every output of the
// union, an empty tensor for those it does not compute; the caller fetches only its branch's outputs.
import { onnx } from 'onnx-proto';

export interface GatedBranch {
  name: string;
  model: Uint8Array;
}

export interface GatedInput {
  name: string;
  elemType: number;
  /** Declared dims: a number where fixed, null where symbolic. */
  dims: (number | null)[];
}

export interface GatedModel {
  model: Uint8Array;
  /** The int64 scalar input that selects the branch: its index in the branches given. */
  modeInput: string;
  /** Every input of the union, so a caller can feed empty tensors for the branches it does not run. */
  inputs: GatedInput[];
  /** Per branch (by name): the inputs and outputs of its own graph. */
  branches: Map<string, { inputs: string[]; outputs: string[] }>;
}

const MODE = 'gate.mode';
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

function dimsOf(v: onnx.IValueInfoProto): (number | null)[] {
  return (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && d.dimParam == null ? Number(d.dimValue) : null));
}

function sameExternal(a: onnx.ITensorProto, b: onnx.ITensorProto): boolean {
  const key = (t: onnx.ITensorProto) => JSON.stringify([t.dataType, (t.dims ?? []).map(Number), (t.externalData ?? []).map((e) => [e.key, e.value])]);
  return key(a) === key(b);
}

/** Renames every value a branch defines (node outputs, its own initializers) with a prefix; outer names stay. */
function prefixBranch(g: onnx.IGraphProto, prefix: string, outer: ReadonlySet<string>): void {
  const rename = (n: string) => (n === '' || outer.has(n) ? n : prefix + n);
  for (const n of g.node ?? []) {
    n.input = (n.input ?? []).map(rename);
    n.output = (n.output ?? []).map(rename);
    if (n.name) n.name = prefix + n.name;
    for (const a of n.attribute ?? []) {
      if (a.g || (a.graphs && a.graphs.length)) throw new Error('internal: gating graphs that already hold subgraphs is not supported');
    }
  }
  for (const t of g.initializer ?? []) t.name = rename(t.name ?? '');
  for (const o of g.output ?? []) o.name = rename(o.name ?? '');
}

function emptyConstant(name: string, elemType: number): onnx.INodeProto {
  return {
    opType: 'Constant', output: [name], name: `${name}.empty`,
    attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { name: `${name}.empty`, dataType: elemType, dims: [0] } }],
  };
}

export function gateGraphs(list: readonly GatedBranch[]): GatedModel {
  if (list.length < 2) throw new Error('internal: gating needs at least two graphs');
  const models = list.map((b) => onnx.ModelProto.decode(b.model));
  const graphs = models.map((m) => m.graph!);
  // Before prefixing renames them in place.
  const ownOutputs = graphs.map((g) => (g.output ?? []).map((o) => o.name!));

  // The outer graph: the union of inputs, the external initializers, the union of outputs.
  const inputs = new Map<string, onnx.IValueInfoProto>();
  const hoisted = new Map<string, onnx.ITensorProto>();
  const outputs = new Map<string, number>();
  for (const g of graphs) {
    for (const i of g.input ?? []) {
      const had = inputs.get(i.name!);
      const et = i.type!.tensorType!.elemType!;
      if (had && had.type!.tensorType!.elemType !== et) throw new Error(`internal: gated graphs disagree on the type of input ${i.name}`);
      const dims = dimsOf(i);
      if (had) {
        // Keep a fixed dim only where every graph fixes it to the same size.
        const prev = dimsOf(had);
        if (prev.length !== dims.length) throw new Error(`internal: gated graphs disagree on the rank of input ${i.name}`);
        const merged = prev.map((d, k) => (d !== null && d === dims[k] ? d : null));
        inputs.set(i.name!, { name: i.name, type: { tensorType: { elemType: et, shape: { dim: merged.map((d, k) => (d === null ? { dimParam: `${i.name}.${k}` } : { dimValue: d })) } } } });
      } else inputs.set(i.name!, i);
    }
    for (const t of g.initializer ?? []) {
      if (t.dataLocation !== EXTERNAL) continue;
      const had = hoisted.get(t.name!);
      if (had && !sameExternal(had, t)) throw new Error(`internal: gated graphs disagree on the weight ${t.name}`);
      hoisted.set(t.name!, t);
    }
    for (const o of g.output ?? []) {
      const et = o.type!.tensorType!.elemType!;
      if (outputs.has(o.name!) && outputs.get(o.name!) !== et) throw new Error(`internal: gated graphs disagree on the type of output ${o.name}`);
      outputs.set(o.name!, et);
    }
  }
  const outer = new Set<string>([...inputs.keys(), ...hoisted.keys(), MODE]);
  const outNames = [...outputs.keys()];

  // Each graph as a branch body: no inputs, its own small initializers, every union output.
  const bodies = graphs.map((g, k): onnx.IGraphProto => {
    const own = new Set(ownOutputs[k]);
    const body: onnx.IGraphProto = { name: list[k].name, node: g.node ?? [], initializer: (g.initializer ?? []).filter((t) => t.dataLocation !== EXTERNAL), output: g.output ?? [] };
    prefixBranch(body, `${list[k].name}/`, outer);
    const byName = new Map((body.output ?? []).map((o, i) => [ownOutputs[k][i], o.name!]));
    const extra: onnx.INodeProto[] = [];
    body.output = outNames.map((n) => {
      let inner = byName.get(n);
      if (!own.has(n)) {
        inner = `${list[k].name}/${n}`;
        extra.push(emptyConstant(inner, outputs.get(n)!));
      } else if (outer.has(inner!)) {
        // A graph output that is directly an input or a weight: a branch output must be a value it defines.
        const copy = `${list[k].name}/${n}.out`;
        extra.push({ opType: 'Identity', input: [inner!], output: [copy], name: copy });
        inner = copy;
      }
      return { name: inner, type: { tensorType: { elemType: outputs.get(n)! } } };
    });
    body.node = [...(body.node ?? []), ...extra];
    return body;
  });

  // mode == k selects bodies[k]; the last branch is the final else.
  const nodes: onnx.INodeProto[] = [];
  const graphAttr = (name: string, g: onnx.IGraphProto): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.GRAPH, g });
  for (let k = 0; k < bodies.length - 1; k++) {
    nodes.push({ opType: 'Constant', output: [`gate.k${k}`], name: `gate.k${k}`, attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { name: `gate.k${k}`, dataType: onnx.TensorProto.DataType.INT64, dims: [], int64Data: [k] } }] });
    nodes.push({ opType: 'Equal', input: [MODE, `gate.k${k}`], output: [`gate.is${k}`], name: `gate.is${k}` });
  }
  const ifNode = (k: number, outs: string[]): onnx.INodeProto => {
    const elseBody: onnx.IGraphProto = k + 1 === bodies.length - 1 ? bodies[k + 1] : (() => {
      const inner = outNames.map((n) => `gate.${k + 1}.${n}`);
      return { name: `gate.else${k}`, node: [ifNode(k + 1, inner)], output: inner.map((n, i) => ({ name: n, type: { tensorType: { elemType: outputs.get(outNames[i])! } } })) };
    })();
    return { opType: 'If', input: [`gate.is${k}`], output: outs, name: `gate.if${k}`, attribute: [graphAttr('then_branch', bodies[k]), graphAttr('else_branch', elseBody)] };
  };
  nodes.push(ifNode(0, outNames));

  const domains = new Map<string, number>();
  for (const m of models) for (const o of m.opsetImport ?? []) domains.set(o.domain ?? '', Math.max(domains.get(o.domain ?? '') ?? 0, Number(o.version)));
  const model: onnx.IModelProto = {
    irVersion: models[0].irVersion, producerName: models[0].producerName,
    opsetImport: [...domains].map(([domain, version]) => ({ domain, version })),
    graph: {
      name: 'gated',
      input: [...inputs.values(), { name: MODE, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } } }],
      initializer: [...hoisted.values()],
      output: outNames.map((n) => ({ name: n, type: { tensorType: { elemType: outputs.get(n)! } } })),
      node: nodes,
    },
  };
  return {
    model: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(),
    modeInput: MODE,
    inputs: [...inputs.values()].map((i) => ({ name: i.name!, elemType: i.type!.tensorType!.elemType!, dims: dimsOf(i) })),
    branches: new Map(list.map((b, k) => [b.name, { inputs: (graphs[k].input ?? []).map((i) => i.name!), outputs: ownOutputs[k] }])),
  };
}
