// ONNX written by hand: the protobuf wire format (varints and length-delimited fields are all ONNX
// needs here) and the few onnx.proto messages a graph of convolutions uses. Shared by the
// TransformerNet graph (onnx-model.ts) and the TF Lite conversion (tflite-onnx.ts).

export type Bytes = Uint8Array;
const utf8 = new TextEncoder();

export const OPSET = 17;
const IR_VERSION = 8;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

export function join(parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const tag = (field: number, wire: 0 | 2 | 5) => varint(field * 8 + wire);
/** A varint field; negative values as protobuf writes an int64 (ten bytes, two's complement). */
export const int = (field: number, value: number): Bytes => {
  if (value >= 0) return Uint8Array.from([...tag(field, 0), ...varint(value)]);
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  for (let i = 0; i < 10; i++) {
    bytes.push(Number(v & 0x7fn) | (i < 9 ? 0x80 : 0));
    v >>= 7n;
  }
  return Uint8Array.from([...tag(field, 0), ...bytes]);
};
export const message = (field: number, body: Bytes): Bytes => join([Uint8Array.from([...tag(field, 2), ...varint(body.length)]), body]);
export const text = (field: number, value: string): Bytes => message(field, utf8.encode(value));
export function float(field: number, value: number): Bytes {
  const out = new Uint8Array(5);
  out[0] = field * 8 + 5;
  new DataView(out.buffer).setFloat32(1, value, true);
  return out;
}

// --- ONNX messages (onnx.proto field numbers) ---

export type Attribute = Bytes;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;
export const intsAttribute = (name: string, values: number[]): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.ints), ...values.map((v) => int(8, v))]);
export const intAttribute = (name: string, value: number): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.int), int(3, value)]);
export const floatAttribute = (name: string, value: number): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.float), float(2, value)]);
export const stringAttribute = (name: string, value: string): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.string), message(4, utf8.encode(value))]);

/** onnx.TensorProto.DataType */
export const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

export type TensorValues = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** The ONNX data type of a typed array. */
function dataTypeOf(values: TensorValues): number {
  if (values instanceof Float32Array) return DATA_TYPE.FLOAT;
  if (values instanceof Uint8Array) return DATA_TYPE.UINT8;
  if (values instanceof Int8Array) return DATA_TYPE.INT8;
  if (values instanceof Int32Array) return DATA_TYPE.INT32;
  return DATA_TYPE.INT64;
}

export function initializer(name: string, dims: number[], values: TensorValues, type: number = dataTypeOf(values)): Bytes {
  return join([...dims.map((d) => int(1, d)), int(2, type), text(8, name), message(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength))]);
}

/** A float tensor's value info; without dims, of unknown shape. */
export function valueInfo(name: string, dims?: Array<number | string>): Bytes {
  const shape = dims ? [message(2, join(dims.map((d) => message(1, typeof d === 'string' ? text(2, d) : int(1, d)))))] : [];
  const tensorType = join([int(1, DATA_TYPE.FLOAT), ...shape]);
  return join([text(1, name), message(2, message(1, tensorType))]);
}

export class GraphBuilder {
  readonly nodes: Bytes[] = [];
  readonly initializers: Bytes[] = [];
  private count = 0;

  name(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  constant(dims: number[], values: TensorValues): string {
    const name = this.name('w');
    this.initializers.push(initializer(name, dims, values));
    return name;
  }

  int64s(values: number[]): string {
    const name = this.name('i');
    this.initializers.push(initializer(name, [values.length], BigInt64Array.from(values.map(BigInt)), DATA_TYPE.INT64));
    return name;
  }

  op(type: string, inputs: string[], attributes: Attribute[] = [], output = this.name(type.toLowerCase())): string {
    this.nodes.push(join([...inputs.map((i) => text(1, i)), text(2, output), text(4, type), ...attributes.map((a) => message(5, a))]));
    return output;
  }

  /** The graph message: its nodes, initializers, inputs and outputs. */
  graph(name: string, inputs: Array<[string, Array<number | string>?]>, outputs: Array<[string, Array<number | string>?]>): Bytes {
    return join([
      ...this.nodes.map((n) => message(1, n)),
      text(2, name),
      ...this.initializers.map((t) => message(5, t)),
      ...inputs.map(([n, dims]) => message(11, valueInfo(n, dims))),
      ...outputs.map(([n, dims]) => message(12, valueInfo(n, dims))),
    ]);
  }
}

/** A ModelProto around a graph, at the opset used here. */
export function modelBytes(graph: Bytes): Bytes {
  return join([int(1, IR_VERSION), text(2, 'stylize-video'), message(7, graph), message(8, join([text(1, ''), int(2, OPSET)]))]);
}
