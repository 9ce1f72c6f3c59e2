// The network written as an ONNX graph, so ONNX Runtime's CPU kernels (MLAS: AVX2/AVX-512 with
// FMA, its own thread pool) can run it. The graph is built from the same weights and layer specs as
// the TF.js network; the protobuf is written by hand, as it needs only a few message types.
import { DECODER, ENCODER, RESIDUAL_BLOCKS, type LayerSpec, type ModelWeights } from './model-files.js';
import { phaseKernel } from './phase-conv.js';

const EPSILON = 1e-3;
const OPSET = 17;
const IR_VERSION = 8;

// --- protobuf wire format: varints and length-delimited fields are all ONNX needs here ---

type Bytes = Uint8Array;
const utf8 = new TextEncoder();

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

function join(parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const tag = (field: number, wire: 0 | 2 | 5) => varint(field * 8 + wire);
const int = (field: number, value: number): Bytes => Uint8Array.from([...tag(field, 0), ...varint(value)]);
const message = (field: number, body: Bytes): Bytes => join([Uint8Array.from([...tag(field, 2), ...varint(body.length)]), body]);
const text = (field: number, value: string): Bytes => message(field, utf8.encode(value));
function float(field: number, value: number): Bytes {
  const out = new Uint8Array(5);
  out[0] = field * 8 + 5;
  new DataView(out.buffer).setFloat32(1, value, true);
  return out;
}

// --- ONNX messages (onnx.proto field numbers) ---

type Attribute = Bytes;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;
const intsAttribute = (name: string, values: number[]): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.ints), ...values.map((v) => int(8, v))]);
const intAttribute = (name: string, value: number): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.int), int(3, value)]);
const floatAttribute = (name: string, value: number): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.float), float(2, value)]);
const stringAttribute = (name: string, value: string): Attribute => join([text(1, name), int(20, ATTRIBUTE_TYPE.string), message(4, utf8.encode(value))]);

const FLOAT = 1;
function initializer(name: string, dims: number[], values: Float32Array): Bytes {
  return join([...dims.map((d) => int(1, d)), int(2, FLOAT), text(8, name), message(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength))]);
}

function valueInfo(name: string, dims: Array<number | string>): Bytes {
  const shape = join(dims.map((d) => message(1, typeof d === 'string' ? text(2, d) : int(1, d))));
  const tensorType = join([int(1, FLOAT), message(2, shape)]);
  return join([text(1, name), message(2, message(1, tensorType))]);
}

class GraphBuilder {
  readonly nodes: Bytes[] = [];
  readonly initializers: Bytes[] = [];
  private count = 0;

  name(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  constant(dims: number[], values: Float32Array): string {
    const name = this.name('w');
    this.initializers.push(initializer(name, dims, values));
    return name;
  }

  op(type: string, inputs: string[], attributes: Attribute[] = []): string {
    const output = this.name(type.toLowerCase());
    this.nodes.push(join([...inputs.map((i) => text(1, i)), text(2, output), text(4, type), ...attributes.map((a) => message(5, a))]));
    return output;
  }
}

/** TF's [kh, kw, in, out] kernel as ONNX's [out, in, kh, kw]. */
function toOihw(values: Float32Array, [kh, kw, inC, outC]: number[]): { values: Float32Array; dims: number[] } {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) out[((o * inC + i) * kh + y) * kw + x] = values[((y * kw + x) * inC + i) * outC + o];
  return { values: out, dims: [outC, inC, kh, kw] };
}

/** conv (or phase-decomposed transposed conv) → instance norm → relu, as in TransformerNet. */
function layer(g: GraphBuilder, x: string, spec: LayerSpec, weights: ModelWeights): string {
  const v = weights.variables;
  let y: string;
  if (spec.transposed) {
    // The same sub-pixel form as the TF.js network: pad top/left by one, a 2x2 convolution giving
    // the four pixel phases, interleaved by DepthToSpace (DCR order is TF's depthToSpace order).
    const phase = phaseKernel(v[spec.index].values, v[spec.index].shape);
    const kernel = toOihw(phase.values, phase.shape);
    const phases = g.op('Conv', [x, g.constant(kernel.dims, kernel.values)], [intsAttribute('pads', [1, 1, 0, 0])]);
    y = g.op('DepthToSpace', [phases], [intAttribute('blocksize', 2), stringAttribute('mode', 'DCR')]);
  } else {
    const kernel = toOihw(v[spec.index].values, v[spec.index].shape);
    // SAME_UPPER is TF's 'same': any odd padding goes to the bottom and right.
    y = g.op('Conv', [x, g.constant(kernel.dims, kernel.values)], [stringAttribute('auto_pad', 'SAME_UPPER'), intsAttribute('strides', [spec.stride, spec.stride])]);
  }
  const shift = v[spec.index + 1].values;
  const scale = v[spec.index + 2].values;
  const normalised = g.op('InstanceNormalization', [y, g.constant([scale.length], scale), g.constant([shift.length], shift)], [floatAttribute('epsilon', EPSILON)]);
  return spec.relu ? g.op('Relu', [normalised]) : normalised;
}

/**
 * The model as ONNX bytes: input `rgb` [N, H, W, 3] float 0..255 (H and W multiples of 4), output
 * `stylized` in the same layout, clipped to 0..255.
 */
export function onnxModel(weights: ModelWeights): Uint8Array {
  const g = new GraphBuilder();
  let y = g.op('Transpose', ['rgb'], [intsAttribute('perm', [0, 3, 1, 2])]);
  for (const spec of ENCODER) y = layer(g, y, spec, weights);
  for (const [a, b] of RESIDUAL_BLOCKS) y = g.op('Add', [y, layer(g, layer(g, y, a, weights), b, weights)]);
  for (const spec of DECODER) y = layer(g, y, spec, weights);
  const scalar = (value: number) => g.constant([], Float32Array.of(value));
  y = g.op('Add', [g.op('Mul', [g.op('Tanh', [y]), scalar(150)]), scalar(127.5)]);
  y = g.op('Clip', [y, scalar(0), scalar(255)]);
  g.nodes.push(join([text(1, y), text(2, 'stylized'), text(4, 'Transpose'), message(5, intsAttribute('perm', [0, 2, 3, 1]))]));
  const graph = join([
    ...g.nodes.map((n) => message(1, n)),
    text(2, 'transformer_net'),
    ...g.initializers.map((t) => message(5, t)),
    message(11, valueInfo('rgb', ['N', 'H', 'W', 3])),
    message(12, valueInfo('stylized', ['N', 'H', 'W', 3])),
  ]);
  return join([int(1, IR_VERSION), text(2, 'stylize-video'), message(7, graph), message(8, join([text(1, ''), int(2, OPSET)]))]);
}
