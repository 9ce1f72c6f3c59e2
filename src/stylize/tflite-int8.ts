// An int8 TF Lite graph run in TypeScript with the arithmetic of the TF Lite runtime on a CPU, to the
// bit: TF Lite hands int8 operators to its default CPU delegate, XNNPACK, so a convolution (and a
// depthwise one) accumulates in int32 and requantises in float32 — acc · (input scale · weight
// scale / output scale), rounded half to even — and so do QUANTIZE (x · (1 / scale)) and MEAN (its
// global average pooling); ADD is TF Lite's integer kernel (reference_integer_ops/add.h: Q31
// multipliers, SaturatingRoundingDoublingHighMul, RoundingDivideByPOT), which for each of this
// predictor's ADDs equals the float32 sum rounded half to even on all 65536 input pairs (measured
// once, not tested). Each of these steps is exactly
// specified (integer sums, float32 products with one rounding each), so every machine gets the same
// numbers. Checked operator by operator against @tensorflow/tfjs-tflite (TF Lite in wasm, XNNPACK):
// every activation equal. Used for Magenta's style predictor (a 256x256 MobileNetV2, run once or
// twice a render), whichever backend runs the transformer.
import { UserError } from '../errors.js';
import { BUILTIN, TENSOR_TYPE, type TfliteModel, type TfliteOperator, type TfliteTensor } from './tflite.js';

const FUSED = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 } as const;
const TWO_31 = 2 ** 31;
const f32 = Math.fround;
/** TfLiteRound (std::round): half away from zero. */
const roundHalfAway = (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));
/** XNNPACK's rounding (its float "magic bias" addition, lrintf): half to even. */
const roundHalfEven = (v: number) => {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
const toInt8 = (v: number, min = -128, max = 127) => (v < min ? min : v > max ? max : v);
/** Little-endian int32 constants (a copy: the file's bytes need not be aligned). */
const int32s = (bytes: Uint8Array) => new Int32Array(new Uint8Array(bytes).buffer);

/** TF Lite's QuantizeMultiplier: a real multiplier as a Q31 significand and a power-of-two shift. */
function quantizeMultiplier(real: number): { multiplier: number; shift: number } {
  if (real === 0) return { multiplier: 0, shift: 0 };
  // frexp: real = q · 2^shift, 0.5 ≤ |q| < 1
  let shift = Math.floor(Math.log2(Math.abs(real))) + 1;
  let q = real / 2 ** shift;
  if (Math.abs(q) >= 1) (q /= 2), shift++;
  if (Math.abs(q) < 0.5) (q *= 2), shift--;
  let fixed = roundHalfAway(q * TWO_31);
  if (fixed === TWO_31) (fixed /= 2), shift++;
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: fixed, shift };
}

/** gemmlowp's SaturatingRoundingDoublingHighMul on int32s, exact: the 62-bit product is formed in 16-bit halves. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === -TWO_31 && b === -TWO_31) return TWO_31 - 1;
  const bl = b & 0xffff;
  const bh = (b - bl) / 65536;
  // a·b = a·bh·2^16 + a·bl, each part exact in a double (< 2^47).
  const nudge = a * b >= 0 ? 2 ** 30 : 1 - 2 ** 30;
  const low = a * bl + nudge;
  const lowHigh = Math.floor(low / 65536);
  const lowLow = low - lowHigh * 65536;
  // a·b + nudge = h·2^16 + lowLow with 0 ≤ lowLow < 2^16
  const h = a * bh + lowHigh;
  let q = Math.floor(h / 32768);
  // C++'s division truncates toward zero: a negative quotient that is not exact goes up by one.
  if (h < 0 && (lowLow !== 0 || q * 32768 !== h)) q++;
  return q;
}

/** gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero. */
function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TF Lite's MultiplyByQuantizedMultiplier (the double-rounding form, TF Lite's default). */
function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(left ? (x * 2 ** left) | 0 : x, multiplier), right);
}

function activationParams(t: TfliteTensor): { scale: number; zeroPoint: number } {
  const q = t.quantization;
  if (t.type !== TENSOR_TYPE.INT8 || !q || q.scale.length !== 1) throw new UserError(`tensor '${t.name}' is not an int8 activation quantised per tensor`);
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] ?? 0 };
}

/** The int8 range a fused activation leaves (the quantised 0, 6, ±1), as the XNNPACK delegate computes it. */
function activationRange(fused: number, scale: number, zeroPoint: number): [number, number] {
  const quantize = (v: number) => zeroPoint + roundHalfEven(f32(v / scale));
  if (fused === FUSED.NONE) return [-128, 127];
  if (fused === FUSED.RELU) return [Math.max(-128, quantize(0)), 127];
  if (fused === FUSED.RELU6) return [Math.max(-128, quantize(0)), Math.min(127, quantize(6))];
  if (fused === FUSED.RELU_N1_TO_1) return [Math.max(-128, quantize(-1)), Math.min(127, quantize(1))];
  throw new UserError(`fused activation ${fused} is not supported on int8`);
}

/** TF Lite's ComputePaddingHeightWidth for one axis: the output size and the padding before. */
function padding(same: boolean, size: number, filter: number, stride: number, dilation: number): { out: number; before: number } {
  const effective = (filter - 1) * dilation + 1;
  const out = same ? Math.floor((size + stride - 1) / stride) : Math.floor((size - effective + stride) / stride);
  const total = Math.max(0, (out - 1) * stride + effective - size);
  return { out, before: Math.floor(total / 2) };
}

/** One run's values: the float input, the int8 activations by tensor index, the float output. */
interface Run {
  input: Float32Array;
  values: Map<number, Int8Array>;
  output?: Float32Array;
}

/** A graph compiled once (weights and scales read, operators checked), run on any number of inputs. */
export class Int8Graph {
  private readonly steps: Array<(run: Run) => void>;

  constructor(private readonly model: TfliteModel) {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new UserError('the int8 graph runner takes one input and one output');
    this.steps = model.operators.map((op) => this.compile(op));
  }

  /** Runs the graph on its float input (NHWC); returns its float output. */
  run(input: Float32Array): Float32Array {
    const run: Run = { input, values: new Map() };
    for (const step of this.steps) step(run);
    if (!run.output) throw new UserError('the int8 graph did not end in a DEQUANTIZE of its output');
    return run.output;
  }

  private compile(op: TfliteOperator): (run: Run) => void {
    const tensors = this.model.tensors;
    const [a, b] = op.inputs;
    const out = op.outputs[0];
    switch (op.code) {
      case BUILTIN.QUANTIZE: {
        if (a !== this.model.inputs[0] || tensors[a].type !== TENSOR_TYPE.FLOAT32) throw new UserError('QUANTIZE is supported on the float input only');
        const { scale, zeroPoint } = activationParams(tensors[out]);
        const inverse = f32(1 / scale);
        return (run) => {
          const data = new Int8Array(run.input.length);
          for (let i = 0; i < data.length; i++) data[i] = toInt8(roundHalfEven(f32(run.input[i] * inverse)) + zeroPoint);
          run.values.set(out, data);
        };
      }
      case BUILTIN.DEQUANTIZE: {
        if (out !== this.model.outputs[0]) throw new UserError('DEQUANTIZE is supported on the graph output only');
        const { scale, zeroPoint } = activationParams(tensors[a]);
        return (run) => {
          run.output = Float32Array.from(this.read(run, a), (v) => (v - zeroPoint) * scale);
        };
      }
      case BUILTIN.CONV_2D:
      case BUILTIN.DEPTHWISE_CONV_2D:
        return this.convolution(op);
      case BUILTIN.ADD:
        return this.add(op);
      case BUILTIN.MEAN: {
        const axes = tensors[b].data ? Array.from(int32s(tensors[b].data!)) : [];
        const input = activationParams(tensors[a]);
        const output = activationParams(tensors[out]);
        const [, h, w, channels] = tensors[a].shape;
        if (tensors[a].shape.length !== 4 || new Set(axes).size !== 2 || !axes.every((x) => x === 1 || x === 2) || !(op.options?.byte(0, 0) ?? 0)) {
          throw new UserError('MEAN is supported over height and width (keep_dims) only');
        }
        const count = h * w;
        // XNNPACK's global average pooling: the sum less the zero points, times one float32 scale.
        const scale = f32(input.scale / f32(output.scale * count));
        return (run) => {
          const x = this.read(run, a);
          const data = new Int8Array(channels);
          for (let ch = 0; ch < channels; ch++) {
            let acc = 0;
            for (let p = 0; p < count; p++) acc += x[p * channels + ch] - input.zeroPoint;
            data[ch] = toInt8(roundHalfEven(f32(acc * scale)) + output.zeroPoint);
          }
          run.values.set(out, data);
        };
      }
      default:
        throw new UserError(`cannot run the TF Lite operator ${op.op} in int8`);
    }
  }

  private read(run: Run, i: number): Int8Array {
    const v = run.values.get(i);
    if (!v) throw new UserError(`the TF Lite graph reads tensor '${this.model.tensors[i].name}' before it is computed`);
    return v;
  }

  private convolution(op: TfliteOperator): (run: Run) => void {
    const tensors = this.model.tensors;
    const depthwise = op.code === BUILTIN.DEPTHWISE_CONV_2D;
    const [a, b, c] = op.inputs;
    const out = op.outputs[0];
    const o = op.options;
    // Conv2DOptions: padding (byte 0), stride_w (1), stride_h (2), fused activation (byte 3), dilation w/h (4, 5);
    // DepthwiseConv2DOptions: the same with depth_multiplier (3) before the fused activation (byte 4), dilations (5, 6).
    const same = (o?.byte(0, 0) ?? 0) === 0;
    const strideW = o?.int(1, 1) ?? 1;
    const strideH = o?.int(2, 1) ?? 1;
    const depthMultiplier = depthwise ? (o?.int(3, 1) ?? 1) : 1;
    const fused = o?.byte(depthwise ? 4 : 3, 0) ?? 0;
    const dilationW = o?.int(depthwise ? 5 : 4, 1) ?? 1;
    const dilationH = o?.int(depthwise ? 6 : 5, 1) ?? 1;
    const weights = tensors[b];
    const wq = weights.quantization;
    if (!weights.data || weights.type !== TENSOR_TYPE.INT8 || !wq || wq.zeroPoint.some((z) => z !== 0)) throw new UserError(`${op.op}: its weights are not constant symmetric int8`);
    const filter = new Int8Array(weights.data.buffer, weights.data.byteOffset, weights.data.length);
    const [, kh, kw] = weights.shape;
    const [, inH, inW, inC] = tensors[a].shape;
    const outC = depthwise ? weights.shape[3] : weights.shape[0];
    const bias = c !== undefined && c >= 0 && tensors[c].data ? int32s(tensors[c].data!) : new Int32Array(outC);
    const input = activationParams(tensors[a]);
    const output = activationParams(tensors[out]);
    const [min, max] = activationRange(fused, output.scale, output.zeroPoint);
    // XNNPACK's per-channel requantisation scale, in float32: input scale · weight scale / output scale.
    const scales = Float32Array.from({ length: outC }, (_, ch) => f32(f32(input.scale * wq.scale[wq.scale.length === 1 ? 0 : ch]) / output.scale));
    const rows = padding(same, inH, kh, strideH, dilationH);
    const cols = padding(same, inW, kw, strideW, dilationW);
    const requantize = (acc: Int32Array, data: Int8Array, at: number) => {
      for (let ch = 0; ch < outC; ch++) data[at + ch] = toInt8(roundHalfEven(f32(acc[ch] * scales[ch])) + output.zeroPoint, min, max);
    };
    // Each output pixel: the kernel taps inside the input (padding contributes nothing, the input being less its zero point).
    const taps = (oy: number, ox: number, visit: (at: number, tap: number) => void) => {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * strideH - rows.before + ky * dilationH;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * strideW - cols.before + kx * dilationW;
          if (ix >= 0 && ix < inW) visit((iy * inW + ix) * inC, ky * kw + kx);
        }
      }
    };
    return (run) => {
      const x = this.read(run, a);
      const shifted = new Int32Array(x.length);
      for (let i = 0; i < x.length; i++) shifted[i] = x[i] - input.zeroPoint;
      const data = new Int8Array(rows.out * cols.out * outC);
      const acc = new Int32Array(outC);
      // depthwise: filter [1, kh, kw, inC · multiplier]; otherwise [outC, kh, kw, inC], one row of kh·kw·inC per output channel.
      const visit = depthwise
        ? (at: number, tap: number) => {
            const f = tap * outC;
            for (let ch = 0; ch < outC; ch++) acc[ch] += shifted[at + Math.floor(ch / depthMultiplier)] * filter[f + ch];
          }
        : (at: number, tap: number) => {
            const row = kh * kw * inC;
            let ch = 0;
            let f = tap * inC;
            // four output channels at a time, each input value read once for them
            for (; ch + 4 <= outC; ch += 4, f += 4 * row) {
              let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              for (let ic = 0; ic < inC; ic++) {
                const v = shifted[at + ic];
                s0 += v * filter[f + ic];
                s1 += v * filter[f + row + ic];
                s2 += v * filter[f + 2 * row + ic];
                s3 += v * filter[f + 3 * row + ic];
              }
              acc[ch] += s0;
              acc[ch + 1] += s1;
              acc[ch + 2] += s2;
              acc[ch + 3] += s3;
            }
            for (; ch < outC; ch++, f += row) {
              let sum = 0;
              for (let ic = 0; ic < inC; ic++) sum += shifted[at + ic] * filter[f + ic];
              acc[ch] += sum;
            }
          };
      for (let oy = 0; oy < rows.out; oy++) {
        for (let ox = 0; ox < cols.out; ox++) {
          acc.set(bias);
          taps(oy, ox, visit);
          requantize(acc, data, (oy * cols.out + ox) * outC);
        }
      }
      run.values.set(out, data);
    };
  }

  /** TF Lite's int8 ADD (add.cc's Prepare, reference_integer_ops/add.h), made once into a table of all 65536 input pairs. */
  private add(op: TfliteOperator): (run: Run) => void {
    const tensors = this.model.tensors;
    const [a, b] = op.inputs;
    const out = op.outputs[0];
    if (tensors[a].shape.join() !== tensors[b].shape.join()) throw new UserError('ADD with broadcasting is not supported in int8');
    const one = activationParams(tensors[a]);
    const two = activationParams(tensors[b]);
    const output = activationParams(tensors[out]);
    const [min, max] = activationRange(op.options?.byte(0, 0) ?? 0, output.scale, output.zeroPoint);
    // Both inputs brought to twice the larger scale, 20 bits left of the point; the multipliers from double.
    const leftShift = 20;
    const twiceMax = 2 * Math.max(one.scale, two.scale);
    const m1 = quantizeMultiplier(one.scale / twiceMax);
    const m2 = quantizeMultiplier(two.scale / twiceMax);
    const mo = quantizeMultiplier(twiceMax / (2 ** leftShift * output.scale));
    const table = new Int8Array(65536);
    for (let x = -128; x < 128; x++) {
      const s1 = multiplyByQuantizedMultiplier((x - one.zeroPoint) * 2 ** leftShift, m1.multiplier, m1.shift);
      for (let y = -128; y < 128; y++) {
        const s2 = multiplyByQuantizedMultiplier((y - two.zeroPoint) * 2 ** leftShift, m2.multiplier, m2.shift);
        table[((x + 128) << 8) | (y + 128)] = toInt8(multiplyByQuantizedMultiplier(s1 + s2, mo.multiplier, mo.shift) + output.zeroPoint, min, max);
      }
    }
    return (run) => {
      const x = this.read(run, a);
      const y = this.read(run, b);
      run.values.set(out, Int8Array.from(x, (v, i) => table[((v + 128) << 8) | (y[i] + 128)]));
    };
  }
}
