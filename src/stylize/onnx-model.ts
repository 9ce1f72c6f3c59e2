// The network written as an ONNX graph, so ONNX Runtime's CPU kernels (MLAS: AVX2/AVX-512 with
// FMA, its own thread pool) can run it. The graph is built from the same weights and layer specs as
// the TF.js network; the protobuf is written by hand, as it needs only a few message types.
import { DECODER, ENCODER, RESIDUAL_BLOCKS, type LayerSpec, type ModelWeights } from './model-files.js';
import { phaseKernel } from './phase-conv.js';
import { floatAttribute, GraphBuilder, intAttribute, intsAttribute, join, message, modelBytes, stringAttribute, text, type Attribute } from './onnx-proto.js';

const EPSILON = 1e-3;

/** TF's [kh, kw, in, out] kernel as ONNX's [out, in, kh, kw]. */
function toOihw(values: Float32Array, [kh, kw, inC, outC]: number[]): { values: Float32Array; dims: number[] } {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) out[((o * inC + i) * kh + y) * kw + x] = values[((y * kw + x) * inC + i) * outC + o];
  return { values: out, dims: [outC, inC, kh, kw] };
}

/** The range a convolution's activations take, from calibration: its input, and its output before instance normalisation. */
export interface ConvRange {
  input: [number, number];
  /** per output channel of the convolution (for upsampling, per channel of the interleaved output) */
  outputLow: number[];
  outputHigh: number[];
}

/**
 * The int8 form of the network: each convolution with a range runs as ONNX Runtime's QLinearConv
 * (activations uint8 per tensor, weights int8 per output channel, symmetric); instance
 * normalisation, ReLU, the residual additions, upsampling's interleave and tanh stay float.
 */
export interface Int8Settings {
  /** by the layer's kernel index (LayerSpec.index); a layer without one stays float */
  ranges: Record<number, ConvRange>;
  /**
   * Weight bits: 7 keeps every product pair of uint8 × int8 within int16, so x86 without VNNI
   * (AVX2's vpmaddubsw, which saturates) computes exactly what VNNI does.
   */
  weightBits: 7 | 8;
}

/** uint8 scale and zero point covering [lo, hi] (and 0, which must be exact: it pads). */
export function activationQuantization([lo, hi]: [number, number]): { scale: number; zeroPoint: number } {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = max > min ? Math.fround((max - min) / 255) : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/** Per output channel symmetric int8 of an [out, in, kh, kw] kernel. */
export function quantizeKernel(values: Float32Array, outC: number, bits: 7 | 8): { values: Int8Array; scales: Float32Array } {
  const limit = bits === 7 ? 63 : 127;
  const per = values.length / outC;
  const q = new Int8Array(values.length);
  const scales = new Float32Array(outC);
  for (let o = 0; o < outC; o++) {
    let max = 0;
    for (let i = 0; i < per; i++) max = Math.max(max, Math.abs(values[o * per + i]));
    const scale = Math.fround(max > 0 ? max / limit : 1);
    scales[o] = scale;
    for (let i = 0; i < per; i++) q[o * per + i] = Math.max(-limit, Math.min(limit, Math.round(values[o * per + i] / scale)));
  }
  return { values: q, scales };
}

interface Build {
  g: GraphBuilder;
  weights: ModelWeights;
  int8?: Int8Settings;
  /** when set, the input and output of these layers' convolutions are recorded here (calibration) */
  taps?: Record<number, { input: string; output: string }>;
  tapLayers?: readonly number[];
}

/** Quantize then dequantize: where ONNX Runtime's QDQ fusion finds an integer tensor. */
function qdq(g: GraphBuilder, x: string, range: [number, number]): string {
  const { scale, zeroPoint } = activationQuantization(range);
  const s = g.constant([], Float32Array.of(scale));
  const z = g.constant([], Uint8Array.of(zeroPoint));
  return g.op('DequantizeLinear', [g.op('QuantizeLinear', [x, s, z]), s, z]);
}

/**
 * The convolution, as float or as DQ → Conv → Q → DQ with an int8 per-channel kernel. Instance
 * normalisation follows every convolution, and it ignores a channel's offset and (all but its
 * epsilon) its scale: so each output channel is shifted and scaled to span the same range before
 * the output is quantized per tensor, which then costs every channel the same relative precision.
 * `groups` > 1: the output's channels are `groups` phases of the same channels (upsampling), which
 * share a scale and shift.
 */
function conv(b: Build, x: string, spec: LayerSpec, kernel: { values: Float32Array; dims: number[] }, attributes: Attribute[], groups = 1): string {
  const { g } = b;
  const range = b.int8?.ranges[spec.index];
  if (!range) {
    const y = g.op('Conv', [x, g.constant(kernel.dims, kernel.values)], attributes);
    if (b.taps && (!b.tapLayers || b.tapLayers.includes(spec.index))) b.taps[spec.index] = { input: x, output: y };
    return y;
  }
  const outC = kernel.dims[0];
  const channels = outC / groups;
  const per = kernel.values.length / outC;
  const spans = range.outputLow.map((lo, c) => Math.max(range.outputHigh[c] - lo, 1e-6));
  const widest = Math.max(...spans);
  const equalised = new Float32Array(kernel.values.length);
  const shift = new Float32Array(outC);
  for (let o = 0; o < outC; o++) {
    const c = o % channels;
    const factor = widest / spans[c];
    for (let i = 0; i < per; i++) equalised[o * per + i] = kernel.values[o * per + i] * factor;
    shift[o] = -factor * (range.outputLow[c] + range.outputHigh[c]) / 2;
  }
  const q = quantizeKernel(equalised, outC, b.int8!.weightBits);
  const input = activationQuantization(range.input);
  const biasScales = q.scales.map((s) => Math.fround(s * input.scale));
  const bias = Int32Array.from(shift, (v, o) => Math.round(v / biasScales[o]));
  const w = g.op('DequantizeLinear', [g.constant(kernel.dims, q.values), g.constant([outC], q.scales), g.constant([outC], new Int8Array(outC))], [intAttribute('axis', 0)]);
  const bq = g.op('DequantizeLinear', [g.constant([outC], bias), g.constant([outC], biasScales), g.constant([outC], new Int32Array(outC))], [intAttribute('axis', 0)]);
  const y = g.op('Conv', [qdq(g, x, range.input), w, bq], attributes);
  return qdq(g, y, [-widest / 2, widest / 2]);
}

/** conv (or phase-decomposed transposed conv) → instance norm → relu, as in TransformerNet. */
function layer(b: Build, x: string, spec: LayerSpec): string {
  const { g } = b;
  const v = b.weights.variables;
  let y: string;
  if (spec.transposed) {
    // The same sub-pixel form as the TF.js network: pad top/left by one, a 2x2 convolution giving
    // the four pixel phases, interleaved by DepthToSpace (DCR order is TF's depthToSpace order).
    const phase = phaseKernel(v[spec.index].values, v[spec.index].shape);
    const phases = conv(b, x, spec, toOihw(phase.values, phase.shape), [intsAttribute('pads', [1, 1, 0, 0])], 4);
    y = g.op('DepthToSpace', [phases], [intAttribute('blocksize', 2), stringAttribute('mode', 'DCR')]);
  } else {
    // SAME_UPPER is TF's 'same': any odd padding goes to the bottom and right.
    y = conv(b, x, spec, toOihw(v[spec.index].values, v[spec.index].shape), [stringAttribute('auto_pad', 'SAME_UPPER'), intsAttribute('strides', [spec.stride, spec.stride])]);
  }
  const shift = v[spec.index + 1].values;
  const scale = v[spec.index + 2].values;
  const normalised = g.op('InstanceNormalization', [y, g.constant([scale.length], scale), g.constant([shift.length], shift)], [floatAttribute('epsilon', EPSILON)]);
  return spec.relu ? g.op('Relu', [normalised]) : normalised;
}

function build(b: Build): Uint8Array {
  const { g } = b;
  let y = g.op('Transpose', ['rgb'], [intsAttribute('perm', [0, 3, 1, 2])]);
  for (const spec of ENCODER) y = layer(b, y, spec);
  for (const [first, second] of RESIDUAL_BLOCKS) y = g.op('Add', [y, layer(b, layer(b, y, first), second)]);
  for (const spec of DECODER) y = layer(b, y, spec);
  const scalar = (value: number) => g.constant([], Float32Array.of(value));
  y = g.op('Add', [g.op('Mul', [g.op('Tanh', [y]), scalar(150)]), scalar(127.5)]);
  y = g.op('Clip', [y, scalar(0), scalar(255)]);
  g.nodes.push(join([text(1, y), text(2, 'stylized'), text(4, 'Transpose'), message(5, intsAttribute('perm', [0, 2, 3, 1]))]));
  const tapped = Object.values(b.taps ?? {}).flatMap((t): Array<[string]> => [[t.input], [t.output]]);
  return modelBytes(g.graph('transformer_net', [['rgb', ['N', 'H', 'W', 3]]], [['stylized', ['N', 'H', 'W', 3]], ...new Map(tapped.map((t) => [t[0], t])).values()]));
}

/**
 * The model as ONNX bytes: input `rgb` [N, H, W, 3] float 0..255 (H and W multiples of 4), output
 * `stylized` in the same layout, clipped to 0..255. With `int8`, the convolutions it gives ranges
 * for run on integers.
 */
export function onnxModel(weights: ModelWeights, int8?: Int8Settings): Uint8Array {
  return build({ g: new GraphBuilder(), weights, int8 });
}

/** The float model with its convolutions' inputs and outputs (all, or these layers') as extra outputs, named in `taps` by layer index. */
export function onnxCalibrationModel(weights: ModelWeights, layers?: readonly number[]): { model: Uint8Array; taps: Record<number, { input: string; output: string }> } {
  const taps: Record<number, { input: string; output: string }> = {};
  const model = build({ g: new GraphBuilder(), weights, taps, tapLayers: layers });
  return { model, taps };
}
