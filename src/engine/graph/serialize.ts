// Graph → ONNX ModelProto bytes through onnx-proto (the protobufjs code generated from onnx.proto).
import { onnx } from 'onnx-proto';
import { Attr, ConstTensor, OPSET, Shape, Value } from './graph';
import { Graph, ONNX_DTYPE } from './ops';

function tensorProto(name: string, c: ConstTensor): onnx.ITensorProto {
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

export function toModelProto(g: Graph): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: g.name,
    input: g.inputs.map((v) => ({ name: v.name, type: typeProto(v, true) })),
    output: g.outputs.map((v) => ({ name: v.name, type: typeProto(v, false) })),
    initializer: g.initializers.map((v) => tensorProto(v.name, v.constant!)),
    node: g.nodes.map((n) => ({
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
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
