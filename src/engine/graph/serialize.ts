// Graph → ONNX ModelProto bytes through onnx-proto (the protobufjs code generated from onnx.proto).
import { onnx } from 'onnx-proto';
import { Attr, ConstTensor, Node, OPSET, Shape, Value } from './graph';
import { Graph, ONNX_DTYPE } from './ops';

function tensorProto(name: string, c: ConstTensor): onnx.ITensorProto {
  if (c.external) {
    const e = c.external;
    return {
      name, dataType: ONNX_DTYPE[c.dtype], dims: [...c.dims], dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: e.location }, { key: 'offset', value: String(e.offset) }, { key: 'length', value: String(e.length) }],
    };
  }
  const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  return { name, dataType: ONNX_DTYPE[c.dtype], dims: [...c.dims], rawData: bytes };
}

function typeProto(v: Value, withShape: boolean): onnx.ITypeProto {
  const shape = withShape ? { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined;
  return { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape } };
}

function attrProto(name: string, a: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  return { name, type: T.TENSOR, t: tensorProto(name, a.t) };
}

export function shapeToString(s: Shape): string {
  return `[${s.join(',')}]`;
}

/**
 * Nodes the outputs depend on, in order. ORT executes every node in a model, used or not, and rules emit
 * gradients for every operand (e.g. dW for frozen weights), so dead nodes must go before serialising.
 */
export function liveNodes(g: Graph): Node[] {
  const live = new Set<Value>(g.outputs);
  const keep: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep.push(n);
    for (const v of n.inputs) if (v) live.add(v);
  }
  return keep.reverse();
}

export function toModelProto(g: Graph): Uint8Array {
  const nodes = liveNodes(g);
  const used = new Set<Value>(g.outputs);
  for (const n of nodes) for (const v of n.inputs) if (v) used.add(v);
  const graph: onnx.IGraphProto = {
    name: g.name,
    input: g.inputs.map((v) => ({ name: v.name, type: typeProto(v, true) })),
    output: g.outputs.map((v) => ({ name: v.name, type: typeProto(v, false) })),
    initializer: g.initializers.filter((v) => used.has(v)).map((v) => tensorProto(v.name, v.constant!)),
    node: nodes.map((n) => ({
      opType: n.op,
      domain: n.domain,
      name: n.name,
      input: n.inputs.map((v) => (v ? v.name : '')),
      output: n.outputs.map((v) => v.name),
      attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
    })),
  };
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'greater-prompt-optimizer',
    // Contrib ops (com.microsoft: MatMulNBits) have their own opset, version 1.
    opsetImport: [{ domain: '', version: OPSET }, ...[...new Set(nodes.map((n) => n.domain).filter((d) => d !== ''))].map((domain) => ({ domain, version: 1 }))],
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
