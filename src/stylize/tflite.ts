// A TF Lite model file read in TypeScript: a FlatBuffer (schema.fbs of tensorflow/lite) of which
// only the parts a convolutional network uses are read — tensors with their buffers and
// quantisation, and operators with their built-in options. Every offset is checked against the
// file, so a damaged or hostile file fails with a message rather than reading out of bounds.
import { UserError } from '../errors.js';

/** TF Lite's TensorType, the members read here. */
export const TENSOR_TYPE = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const;

/** TF Lite's BuiltinOperator codes, the members the Magenta networks use (and a few neighbours). */
export const BUILTIN = {
  ADD: 0, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, LOGISTIC: 14, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22,
  PAD: 34, MEAN: 40, SUB: 41, DIV: 42, RSQRT: 76, QUANTIZE: 114, RESIZE_NEAREST_NEIGHBOR: 97, SQUARED_DIFFERENCE: 99, MIRROR_PAD: 100,
} as const;
export const BUILTIN_NAMES: Record<number, string> = Object.fromEntries(Object.entries(BUILTIN).map(([name, code]) => [code, name]));

export interface TfliteQuantization {
  scale: Float32Array;
  zeroPoint: number[];
  /** the axis the per-channel scales run along */
  axis: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  /** the constant's bytes, when the tensor is a constant */
  data?: Uint8Array;
  quantization?: TfliteQuantization;
}

/** A built-in option table, read field by field on demand (each operator knows its own layout). */
export interface OptionsTable {
  int(field: number, fallback: number): number;
  byte(field: number, fallback: number): number;
}

export interface TfliteOperator {
  /** the BuiltinOperator code */
  code: number;
  /** its name (BUILTIN_NAMES), or CODE_<n> */
  op: string;
  /** tensor indices; -1 for an optional input left out */
  inputs: number[];
  outputs: number[];
  options?: OptionsTable;
}

export interface TfliteModel {
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

const IDENTIFIER = 'TFL3';

class FlatBuffer {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(why: string): never {
    throw new UserError(`${this.file} is not a TF Lite model this program can read: ${why}`);
  }

  private check(pos: number, size: number): number {
    if (!Number.isInteger(pos) || pos < 0 || pos + size > this.bytes.length) this.fail(`an offset points outside the file (${pos})`);
    return pos;
  }
  u8 = (pos: number) => this.view.getUint8(this.check(pos, 1));
  u16 = (pos: number) => this.view.getUint16(this.check(pos, 2), true);
  i32 = (pos: number) => this.view.getInt32(this.check(pos, 4), true);
  u32 = (pos: number) => this.view.getUint32(this.check(pos, 4), true);
  f32 = (pos: number) => this.view.getFloat32(this.check(pos, 4), true);
  i64 = (pos: number) => Number(this.view.getBigInt64(this.check(pos, 8), true));

  /** The position of a table field's value, or undefined when the field is absent. */
  field(table: number, id: number): number | undefined {
    const vtable = table - this.i32(table);
    const vtableSize = this.u16(vtable);
    const entry = 4 + 2 * id;
    if (entry >= vtableSize) return undefined;
    const offset = this.u16(vtable + entry);
    return offset === 0 ? undefined : table + offset;
  }
  /** Follows a uoffset stored at pos. */
  deref(pos: number): number {
    return pos + this.u32(pos);
  }
  table(table: number, id: number): number | undefined {
    const at = this.field(table, id);
    return at === undefined ? undefined : this.deref(at);
  }
  /** A vector field: the position of its first element and its length. */
  vector(table: number, id: number, elementSize: number): { start: number; length: number } {
    const at = this.table(table, id);
    if (at === undefined) return { start: 0, length: 0 };
    const length = this.u32(at);
    this.check(at + 4, length * elementSize);
    return { start: at + 4, length };
  }
  tables(table: number, id: number): number[] {
    const { start, length } = this.vector(table, id, 4);
    return Array.from({ length }, (_, i) => this.deref(start + 4 * i));
  }
  ints(table: number, id: number): number[] {
    const { start, length } = this.vector(table, id, 4);
    return Array.from({ length }, (_, i) => this.i32(start + 4 * i));
  }
  string(table: number, id: number): string {
    const { start, length } = this.vector(table, id, 1);
    return new TextDecoder().decode(this.bytes.subarray(start, start + length));
  }
  scalar(table: number, id: number, read: (pos: number) => number, fallback: number): number {
    const at = this.field(table, id);
    return at === undefined ? fallback : read(at);
  }
}

/** Reads a .tflite file's first subgraph. */
export function readTflite(bytes: Uint8Array, file = 'the model'): TfliteModel {
  const fb = new FlatBuffer(bytes, file);
  if (bytes.length < 8) fb.fail('it is too short');
  if (new TextDecoder().decode(bytes.subarray(4, 8)) !== IDENTIFIER) fb.fail(`it does not carry the identifier ${IDENTIFIER}`);
  const model = fb.deref(0);

  const codes = fb.tables(model, 1).map((code) => {
    // builtin_code (field 3, int32) superseded the byte deprecated_builtin_code (field 0) past 127.
    const deprecated = fb.scalar(code, 0, fb.u8, 0);
    return Math.max(deprecated, fb.scalar(code, 3, fb.i32, 0));
  });
  const buffers = fb.tables(model, 4).map((buffer) => {
    const { start, length } = fb.vector(buffer, 0, 1);
    if (length === 0 && fb.field(buffer, 1) !== undefined) fb.fail('its weights are stored outside the FlatBuffer (a >2 GB model), which is not supported');
    return length === 0 ? undefined : bytes.subarray(start, start + length);
  });
  const subgraphs = fb.tables(model, 2);
  if (subgraphs.length === 0) fb.fail('it has no subgraph');
  const graph = subgraphs[0];

  const tensors = fb.tables(graph, 0).map((t, index): TfliteTensor => {
    const bufferIndex = fb.scalar(t, 2, fb.u32, 0);
    const tensor: TfliteTensor = { index, name: fb.string(t, 3), shape: fb.ints(t, 0), type: fb.scalar(t, 1, fb.u8, 0), data: buffers[bufferIndex] };
    const q = fb.table(t, 4);
    if (q !== undefined) {
      const scales = fb.vector(q, 2, 4);
      const zeros = fb.vector(q, 3, 8);
      if (scales.length > 0) {
        tensor.quantization = {
          scale: Float32Array.from({ length: scales.length }, (_, i) => fb.f32(scales.start + 4 * i)),
          zeroPoint: Array.from({ length: zeros.length }, (_, i) => fb.i64(zeros.start + 8 * i)),
          axis: fb.scalar(q, 6, fb.i32, 0),
        };
      }
    }
    return tensor;
  });

  const operators = fb.tables(graph, 3).map((o): TfliteOperator => {
    const opcode = fb.scalar(o, 0, fb.u32, 0);
    if (opcode >= codes.length) fb.fail(`an operator names opcode ${opcode} of ${codes.length}`);
    const code = codes[opcode];
    const optionsAt = fb.table(o, 4);
    const options: OptionsTable | undefined = optionsAt === undefined ? undefined : {
      int: (field, fallback) => fb.scalar(optionsAt, field, fb.i32, fallback),
      byte: (field, fallback) => fb.scalar(optionsAt, field, fb.u8, fallback),
    };
    const inputs = fb.ints(o, 1);
    const outputs = fb.ints(o, 2);
    for (const i of [...inputs, ...outputs]) if (i < -1 || i >= tensors.length) fb.fail(`an operator names tensor ${i} of ${tensors.length}`);
    return { code, op: BUILTIN_NAMES[code] ?? `CODE_${code}`, inputs, outputs, options };
  });
  return { tensors, inputs: fb.ints(graph, 1), outputs: fb.ints(graph, 2), operators };
}

/** IEEE half-precision bits as a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A constant tensor's values as float32: float16 widened, int8/uint8 dequantised (per tensor or per channel). */
export function constantValues(tensor: TfliteTensor): Float32Array {
  const data = tensor.data;
  if (!data) throw new UserError(`tensor '${tensor.name}' has no data`);
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  const need = (bytesPer: number) => {
    if (data.length !== count * bytesPer) throw new UserError(`tensor '${tensor.name}' has ${data.length} bytes for shape [${tensor.shape}]`);
  };
  switch (tensor.type) {
    case TENSOR_TYPE.FLOAT32:
      need(4);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case TENSOR_TYPE.FLOAT16:
      need(2);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case TENSOR_TYPE.INT32: {
      // An int8 convolution's bias: int32 at the scale input × weight, per output channel.
      need(4);
      const q = tensor.quantization;
      for (let i = 0; i < count; i++) {
        const raw = view.getInt32(4 * i, true);
        const c = q ? (q.scale.length === 1 ? 0 : i % q.scale.length) : 0;
        out[i] = q ? (raw - (q.zeroPoint[c] ?? 0)) * q.scale[c] : raw;
      }
      return out;
    }
    case TENSOR_TYPE.INT64:
      need(8);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      return out;
    case TENSOR_TYPE.INT8:
    case TENSOR_TYPE.UINT8: {
      need(1);
      const q = tensor.quantization;
      if (!q) throw new UserError(`tensor '${tensor.name}' is 8-bit without quantisation parameters`);
      // Elements along the quantised axis share a scale: the stride of that axis in row-major order.
      const inner = tensor.shape.slice(q.axis + 1).reduce((a, b) => a * b, 1);
      const channels = q.scale.length;
      for (let i = 0; i < count; i++) {
        const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
        const raw = tensor.type === TENSOR_TYPE.INT8 ? view.getInt8(i) : view.getUint8(i);
        out[i] = (raw - (q.zeroPoint[c] ?? 0)) * q.scale[c];
      }
      return out;
    }
    default:
      throw new UserError(`tensor '${tensor.name}' has TF Lite type ${tensor.type}, which is not supported`);
  }
}
