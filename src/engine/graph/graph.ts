// A small typed ONNX graph builder with static shape tracking. Values are SSA; nodes are kept in creation
// order, which is a topological order, so the autodiff can walk them backwards without sorting.
// Dims are numbers or symbolic names ("B", "S", ...). ONNX semantics follow OPSET below.

export const OPSET = 17; // Reduce{Mean,Max} take axes as an attribute, ReduceSum/Squeeze/Unsqueeze as an input.

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';
export type Dim = number | string;
export type Shape = readonly Dim[];

/** float16 tensors hold IEEE binary16 bit patterns (Node has no Float16Array). */
export type TypedData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface ConstTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Empty when the bytes live in an external data file (see `external`). */
  readonly data: TypedData;
  /** ONNX external data: bytes [offset, offset + length) of `location`, relative to the model file. */
  readonly external?: { readonly location: string; readonly offset: number; readonly length: number };
}

export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: ConstTensor };

export interface Value {
  readonly id: number;
  name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The node producing this value, null for graph inputs and initializers. */
  producer: Node | null;
  /** Set for initializers: lets rules read constant operands (e.g. Pow's exponent). */
  readonly constant?: ConstTensor;
}

export interface Node {
  readonly op: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

export class GraphError extends Error {}

export class GraphCore {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers: Value[] = [];
  private nextId = 0;
  private readonly scopes: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constCache = new Map<string, Value>();

  constructor(readonly name = 'graph') {}

  /** Runs `fn` with `name` pushed on the naming scope: node names read like "layers.3/attn/q_proj". */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  private scoped(base: string): string {
    return this.scopes.length ? `${this.scopes.join('/')}/${base}` : base;
  }

  newValue(dtype: DType, shape: Shape, producer: Node | null, name?: string, constant?: ConstTensor): Value {
    const id = this.nextId++;
    return { id, name: this.uniqueName(name ?? this.scoped(`v${id}`)), dtype, shape: [...shape], producer, constant };
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.usedNames.has(name)) throw new GraphError(`graph input '${name}' declared twice`);
    const v = this.newValue(dtype, shape, null, name);
    this.inputs.push(v);
    return v;
  }

  /** An initializer; identical small constants are shared. */
  constant(c: ConstTensor, name?: string): Value {
    const key = c.data.length <= 16 && !c.external ? `${c.dtype}|${c.dims.join(',')}|${Array.from(c.data as ArrayLike<number | bigint>).join(',')}` : '';
    if (key && !name) {
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const v = this.newValue(c.dtype, c.dims, null, name ?? `const${this.nextId}`, c);
    this.initializers.push(v);
    if (key && !name) this.constCache.set(key, v);
    return v;
  }

  /** Marks `v` as a graph output named `name` (renaming the producer's output: no Identity copy). */
  output(v: Value, name: string): Value {
    if (v.producer === null || this.outputs.includes(v)) {
      const [copy] = this.node('Identity', [v], {}, [{ dtype: v.dtype, shape: v.shape }]);
      v = copy;
    }
    if (this.usedNames.has(name)) throw new GraphError(`graph output name '${name}' is already used`);
    this.usedNames.delete(v.name);
    this.usedNames.add(name);
    v.name = name;
    this.outputs.push(v);
    return v;
  }

  node(
    op: string,
    inputs: readonly (Value | null)[],
    attrs: Record<string, Attr>,
    outs: readonly { dtype: DType; shape: Shape }[],
    domain = '',
  ): Value[] {
    const name = this.uniqueName(this.scoped(op));
    const outputs: Value[] = [];
    const node: Node = { op, domain, name, inputs, outputs, attrs };
    for (const o of outs) outputs.push(this.newValue(o.dtype, o.shape, node));
    this.nodes.push(node);
    return outputs;
  }
}
