// A TF Lite graph rewritten as ONNX, operator by operator, for the operators Magenta's arbitrary
// style networks use. TF Lite is NHWC; ONNX's Conv is NCHW: every rank-4 tensor inside the graph is
// NCHW, the graph's own inputs and outputs stay NHWC (a Transpose at each end). Constants become
// float32 initializers: float16 widened, int8 weights dequantised. Int8 activations are not
// converted: the int8 predictor runs with TF Lite's own arithmetic in tflite-int8.ts.
import { UserError } from '../errors.js';
import { floatAttribute, GraphBuilder, intAttribute, intsAttribute, modelBytes, stringAttribute } from './onnx-proto.js';
import { BUILTIN, constantValues, TENSOR_TYPE, type TfliteModel, type TfliteOperator, type TfliteTensor } from './tflite.js';

export interface ConversionOptions {
  /** names of the ONNX graph's inputs and outputs, in the TF Lite graph's order */
  inputNames: string[];
  outputNames: string[];
  /** dimensions declared for each input (NHWC); strings are free dimensions */
  inputDims: Array<Array<number | string>>;
  outputDims: Array<Array<number | string>>;
  /** the first input and output in 0..pixelScale where the TF Lite graph has 0..1 (the output clipped to that range) */
  pixelScale?: number;
}

/** NHWC axis → NCHW axis. */
const NCHW_AXIS = [0, 2, 3, 1];
const FUSED = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;

/** TF Lite [O, H, W, I] (conv) or [1, H, W, O] (depthwise) → ONNX [O, I, H, W]. */
function ohwiToOihw(values: Float32Array, [o, h, w, i]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < i; c++) out[((a * i + c) * h + y) * w + x] = values[((a * h + y) * w + x) * i + c];
  return out;
}


/**
 * TF's instance normalisation with a conditional scale and shift (Magenta's StyleNorm), as TF Lite
 * spells it in ten operators: m = mean(x); v = mean((x - m)²); g = rsqrt(v + ε) · γ;
 * y = x · g + (β - m · g). Found here so that ONNX Runtime runs it as one InstanceNormalization
 * (fewer passes over the activations). Keyed by the index of the last operator, the ADD.
 */
interface StyleNorm {
  x: number;
  gamma: number;
  beta: number;
  epsilon: number;
  /** the operators the one node replaces */
  ops: Set<number>;
}

function findStyleNorms(model: TfliteModel, isConstant: (i: number) => boolean): Map<number, StyleNorm> {
  const consumers = new Map<number, number[]>();
  model.operators.forEach((op, k) => op.inputs.forEach((i) => consumers.set(i, [...(consumers.get(i) ?? []), k])));
  const only = (tensor: number, code: number): number | undefined => {
    const users = consumers.get(tensor) ?? [];
    return users.length === 1 && model.operators[users[0]].code === code ? users[0] : undefined;
  };
  const other = (op: TfliteOperator, known: number) => (op.inputs[0] === known ? op.inputs[1] : op.inputs[0]);
  const found = new Map<number, StyleNorm>();
  model.operators.forEach((mean, k) => {
    if (mean.code !== BUILTIN.MEAN || model.tensors[mean.inputs[0]].shape.length !== 4) return;
    const x = mean.inputs[0];
    const m = mean.outputs[0];
    const mUsers = consumers.get(m) ?? [];
    const sdK = mUsers.find((u) => model.operators[u].code === BUILTIN.SQUARED_DIFFERENCE);
    const mgK = mUsers.find((u) => model.operators[u].code === BUILTIN.MUL);
    if (mUsers.length !== 2 || sdK === undefined || mgK === undefined) return;
    if (!model.operators[sdK].inputs.includes(x)) return;
    const vK = only(model.operators[sdK].outputs[0], BUILTIN.MEAN);
    const addK = vK === undefined ? undefined : only(model.operators[vK].outputs[0], BUILTIN.ADD);
    const rK = addK === undefined ? undefined : only(model.operators[addK].outputs[0], BUILTIN.RSQRT);
    const gK = rK === undefined ? undefined : only(model.operators[rK].outputs[0], BUILTIN.MUL);
    if (vK === undefined || addK === undefined || rK === undefined || gK === undefined) return;
    const epsilon = other(model.operators[addK], model.operators[vK].outputs[0]);
    if (!isConstant(epsilon) && !model.operators.some((o) => o.code === BUILTIN.DEQUANTIZE && o.outputs[0] === epsilon && isConstant(o.inputs[0]))) return;
    const g = model.operators[gK].outputs[0];
    const gamma = other(model.operators[gK], model.operators[rK].outputs[0]);
    const gUsers = consumers.get(g) ?? [];
    const y1K = gUsers.find((u) => u !== mgK && model.operators[u].code === BUILTIN.MUL && model.operators[u].inputs.includes(x));
    if (gUsers.length !== 2 || y1K === undefined || !gUsers.includes(mgK)) return;
    const subK = only(model.operators[mgK].outputs[0], BUILTIN.SUB);
    if (subK === undefined || model.operators[subK].inputs[1] !== model.operators[mgK].outputs[0]) return;
    const beta = model.operators[subK].inputs[0];
    const outK = only(model.operators[subK].outputs[0], BUILTIN.ADD);
    if (outK === undefined || !model.operators[outK].inputs.includes(model.operators[y1K].outputs[0])) return;
    if ((consumers.get(model.operators[y1K].outputs[0]) ?? []).length !== 1) return;
    // γ and β: one number per channel.
    for (const t of [gamma, beta]) {
      const shape = model.tensors[t].shape;
      if (shape.length !== 4 || shape[0] !== 1 || shape[1] !== 1 || shape[2] !== 1) return;
    }
    found.set(outK, { x, gamma, beta, epsilon, ops: new Set([k, sdK, vK, addK, rK, gK, y1K, mgK, subK, outK]) });
  });
  return found;
}

export function tfliteToOnnx(model: TfliteModel, options: ConversionOptions): Uint8Array {
  const g = new GraphBuilder();
  const names = new Map<number, string>();
  const tensor = (i: number): TfliteTensor => model.tensors[i];
  const fail = (op: TfliteOperator, why: string): never => {
    throw new UserError(`cannot convert the TF Lite operator ${op.op} to ONNX: ${why}`);
  };

  /** Float values of a constant, cached per tensor. */
  const floats = new Map<number, Float32Array>();
  const values = (i: number): Float32Array => {
    let v = floats.get(i);
    if (!v) floats.set(i, (v = constantValues(tensor(i))));
    return v;
  };
  const isConstant = (i: number) => tensor(i).data !== undefined || floats.has(i);

  /** A tensor as an ONNX value: an activation's name, or a constant laid out to broadcast in NCHW. */
  const value = (i: number): string => {
    const known = names.get(i);
    if (known) return known;
    if (!isConstant(i)) throw new UserError(`the TF Lite graph reads tensor '${tensor(i).name}' before it is computed`);
    const t = tensor(i);
    const v = values(i);
    let name: string;
    if (t.shape.length === 4) {
      const [n, h, w, c] = t.shape;
      const out = new Float32Array(v.length);
      for (let a = 0; a < n; a++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            for (let k = 0; k < c; k++) out[((a * c + k) * h + y) * w + x] = v[((a * h + y) * w + x) * c + k];
      name = g.constant([n, c, h, w], out);
    } else if (t.shape.length === 1 && t.shape[0] > 1) {
      // A per-channel vector broadcasts along NHWC's last axis: along NCHW's channel axis, [C, 1, 1].
      name = g.constant([t.shape[0], 1, 1], v);
    } else {
      name = g.constant(t.shape, v);
    }
    names.set(i, name);
    return name;
  };

  /** Gives a computed value its tensor's name, after its fused activation. */
  const define = (i: number, result: string, fused: number = FUSED.NONE) => {
    let y = result;
    if (fused === FUSED.RELU) y = g.op('Relu', [y]);
    else if (fused === FUSED.RELU6) y = g.op('Clip', [y, g.constant([], Float32Array.of(0)), g.constant([], Float32Array.of(6))]);
    else if (fused === FUSED.RELU_N1_TO_1) y = g.op('Clip', [y, g.constant([], Float32Array.of(-1)), g.constant([], Float32Array.of(1))]);
    else if (fused === FUSED.TANH) y = g.op('Tanh', [y]);
    else if (fused !== FUSED.NONE) throw new UserError(`unknown fused activation ${fused}`);
    const t = tensor(i);
    if (t.type === TENSOR_TYPE.INT8) throw new UserError(`activation '${t.name}' is int8: int8 graphs are not converted to ONNX`);
    names.set(i, y);
  };

  const scalar = (v: number) => g.constant([], Float32Array.of(v));
  model.inputs.forEach((i, n) => {
    const t = tensor(i);
    let x = options.inputNames[n];
    if (n === 0 && options.pixelScale) x = g.op('Mul', [x, scalar(1 / options.pixelScale)]);
    define(i, t.shape.length === 4 ? g.op('Transpose', [x], [intsAttribute('perm', [0, 3, 1, 2])]) : x);
  });

  const norms = findStyleNorms(model, isConstant);
  const fused = new Set([...norms.values()].flatMap((n) => [...n.ops]));
  for (const [k, op] of model.operators.entries()) {
    const norm = norms.get(k);
    if (norm) {
      const epsilon = values(norm.epsilon)[0];
      const perChannel = (t: number) => g.op('Reshape', [value(t), g.int64s([-1])]);
      define(op.outputs[0], g.op('InstanceNormalization', [value(norm.x), perChannel(norm.gamma), perChannel(norm.beta)], [floatAttribute('epsilon', epsilon)]), op.options?.byte(0, 0) ?? 0);
      continue;
    }
    if (fused.has(k)) continue;
    const [a, b, c] = op.inputs;
    const out = op.outputs[0];
    const o = op.options;
    switch (op.code) {
      case BUILTIN.DEQUANTIZE:
        // float16 constants, widened when read
        if (!isConstant(a)) fail(op, 'it dequantises an activation');
        floats.set(out, values(a));
        break;
      case BUILTIN.CONV_2D: {
        // Conv2DOptions: padding (byte 0), stride_w (1), stride_h (2), fused activation (byte 3), dilation w/h (4, 5).
        const padding = o?.byte(0, 0) ?? 0;
        const strides = [o?.int(2, 1) ?? 1, o?.int(1, 1) ?? 1];
        const dilations = [o?.int(5, 1) ?? 1, o?.int(4, 1) ?? 1];
        if (!isConstant(b)) fail(op, 'its weights are not constant');
        const shape = tensor(b).shape;
        const inputs = [value(a), g.constant([shape[0], shape[3], shape[1], shape[2]], ohwiToOihw(values(b), shape))];
        if (c !== undefined && c >= 0) inputs.push(g.constant([tensor(c).shape[0]], values(c)));
        const attributes = [intsAttribute('strides', strides), intsAttribute('dilations', dilations), stringAttribute('auto_pad', padding === 0 ? 'SAME_UPPER' : 'VALID')];
        define(out, g.op('Conv', inputs, attributes), o?.byte(3, 0) ?? 0);
        break;
      }
      case BUILTIN.ADD:
      case BUILTIN.SUB:
      case BUILTIN.MUL: {
        const type = { [BUILTIN.ADD]: 'Add', [BUILTIN.SUB]: 'Sub', [BUILTIN.MUL]: 'Mul' }[op.code]!;
        define(out, g.op(type, [value(a), value(b)]), o?.byte(0, 0) ?? 0);
        break;
      }
      case BUILTIN.SQUARED_DIFFERENCE: {
        const d = g.op('Sub', [value(a), value(b)]);
        define(out, g.op('Mul', [d, d]));
        break;
      }
      case BUILTIN.RSQRT:
        define(out, g.op('Reciprocal', [g.op('Sqrt', [value(a)])]));
        break;
      case BUILTIN.LOGISTIC:
        define(out, g.op('Sigmoid', [value(a)]));
        break;
      case BUILTIN.MEAN: {
        if (!isConstant(b)) fail(op, 'its axes are not constant');
        const rank = tensor(a).shape.length;
        const axes = Array.from(values(b), (x) => (x < 0 ? x + rank : x)).map((x) => (rank === 4 ? NCHW_AXIS[x] : x));
        define(out, g.op('ReduceMean', [value(a)], [intsAttribute('axes', axes), intAttribute('keepdims', o?.byte(0, 0) ? 1 : 0)]));
        break;
      }
      case BUILTIN.MIRROR_PAD: {
        if (!isConstant(b)) fail(op, 'its paddings are not constant');
        const p = values(b);
        if (tensor(a).shape.length !== 4) fail(op, 'only 4-d tensors are padded');
        if ((o?.byte(0, 0) ?? 0) !== 0) fail(op, 'SYMMETRIC mirror padding has no ONNX equivalent');
        // NHWC [[before, after] × 4] → ONNX's NCHW [all befores, all afters].
        const nhwc = [0, 3, 1, 2];
        const pads = [...nhwc.map((axis) => p[axis * 2]), ...nhwc.map((axis) => p[axis * 2 + 1])];
        define(out, g.op('Pad', [value(a), g.int64s(pads)], [stringAttribute('mode', 'reflect')]));
        break;
      }
      case BUILTIN.RESIZE_NEAREST_NEIGHBOR: {
        // The size constant was written for the file's input size: as a scale, the graph runs at any size.
        if (!isConstant(b)) fail(op, 'its size is not constant');
        const size = values(b);
        const [, h, w] = tensor(a).shape;
        const alignCorners = o?.byte(0, 0) ?? 0;
        const halfPixel = o?.byte(1, 0) ?? 0;
        if (alignCorners) fail(op, 'align_corners is not supported');
        const scales = g.constant([4], Float32Array.of(1, 1, size[0] / h, size[1] / w));
        define(out, g.op('Resize', [value(a), '', scales], [
          stringAttribute('mode', 'nearest'),
          stringAttribute('coordinate_transformation_mode', halfPixel ? 'tf_half_pixel_for_nn' : 'asymmetric'),
          stringAttribute('nearest_mode', halfPixel ? 'round_prefer_ceil' : 'floor'),
        ]));
        break;
      }
      default:
        fail(op, 'it is not among the operators this converter knows');
    }
  }

  const outputs = model.outputs.map((i, n) => {
    let y = value(i);
    const name = options.outputNames[n];
    if (n === 0 && options.pixelScale) y = g.op('Clip', [g.op('Mul', [y, scalar(options.pixelScale)]), scalar(0), scalar(options.pixelScale)]);
    if (tensor(i).shape.length === 4) g.op('Transpose', [y], [intsAttribute('perm', [0, 2, 3, 1])], name);
    else g.op('Identity', [y], [], name);
    return name;
  });
  const graph = g.graph(
    'tflite',
    options.inputNames.map((n, i) => [n, options.inputDims[i]]),
    outputs.map((n, i) => [n, options.outputDims[i]]),
  );
  return modelBytes(graph);
}
