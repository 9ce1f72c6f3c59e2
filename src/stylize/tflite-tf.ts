// A TF Lite graph run with TF.js ops, for the backends that are not ONNX Runtime (tfjs-node, its
// GPU build, wasm, cpu). TF.js is NHWC like TF Lite, so the operators map one to one; the same
// operator set as the ONNX conversion (tflite-onnx.ts): float graphs (the int8 predictor runs in
// tflite-int8.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { RgbFrame } from '../frame.js';
import { UserError } from '../errors.js';
import { stylizePadded } from './transformer-net.js';
import { BUILTIN, constantValues, TENSOR_TYPE, type TfliteModel, type TfliteOperator } from './tflite.js';

const FUSED = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;

/** The operators of the float transformer (the int8 predictor runs in tflite-int8.ts). */
const SUPPORTED = new Set<number>([
  BUILTIN.DEQUANTIZE, BUILTIN.CONV_2D, BUILTIN.ADD, BUILTIN.SUB, BUILTIN.MUL, BUILTIN.SQUARED_DIFFERENCE,
  BUILTIN.RSQRT, BUILTIN.LOGISTIC, BUILTIN.MEAN, BUILTIN.MIRROR_PAD, BUILTIN.RESIZE_NEAREST_NEIGHBOR,
]);
const ARITHMETIC: Record<number, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor> = { [BUILTIN.ADD]: tf.add, [BUILTIN.SUB]: tf.sub, [BUILTIN.MUL]: tf.mul };

export class TfliteGraph {
  /** constants by tensor index, made once */
  private readonly constants = new Map<number, tf.Tensor>();

  constructor(private readonly model: TfliteModel) {
    for (const t of model.tensors) {
      if (t.data) this.constants.set(t.index, tf.tensor(constantValues(t), t.shape.length ? t.shape : [], 'float32'));
    }
    for (const op of model.operators) {
      if (op.outputs.some((i) => model.tensors[i].type === TENSOR_TYPE.INT8)) throw new UserError('int8 graphs are not run with TF.js ops');
      if (!SUPPORTED.has(op.code)) throw new UserError(`cannot run the TF Lite operator ${op.op} with TF.js ops`);
    }
  }

  /** Runs the graph on NHWC inputs (in the graph's order); returns its first output. Frees every intermediate. */
  run(inputs: tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const values = new Map<number, tf.Tensor>(this.constants);
      const define = (i: number, x: tf.Tensor, fused = 0) => {
        let y = x;
        if (fused === FUSED.RELU) y = tf.relu(y);
        else if (fused === FUSED.RELU6) y = tf.clipByValue(y, 0, 6);
        else if (fused === FUSED.RELU_N1_TO_1) y = tf.clipByValue(y, -1, 1);
        else if (fused === FUSED.TANH) y = tf.tanh(y);
        values.set(i, y);
      };
      const get = (i: number): tf.Tensor => {
        const v = values.get(i);
        if (!v) throw new UserError(`the TF Lite graph reads tensor '${this.model.tensors[i].name}' before it is computed`);
        return v;
      };
      const constant = (i: number): Float32Array => get(i).dataSync() as Float32Array;
      this.model.inputs.forEach((i, n) => define(i, inputs[n]));
      for (const op of this.model.operators) this.step(op, get, define, constant);
      return get(this.model.outputs[0]);
    });
  }

  private step(op: TfliteOperator, get: (i: number) => tf.Tensor, define: (i: number, x: tf.Tensor, fused?: number) => void, constant: (i: number) => Float32Array): void {
    const [a, b, c] = op.inputs;
    const out = op.outputs[0];
    const o = op.options;
    switch (op.code) {
      case BUILTIN.DEQUANTIZE:
        // float16 constants, widened when read
        define(out, get(a));
        return;
      case BUILTIN.CONV_2D: {
        const padding = (o?.byte(0, 0) ?? 0) === 0 ? 'same' : 'valid';
        const strides: [number, number] = [o?.int(2, 1) ?? 1, o?.int(1, 1) ?? 1];
        const dilations: [number, number] = [o?.int(5, 1) ?? 1, o?.int(4, 1) ?? 1];
        // TF Lite [O, H, W, I] → TF.js [H, W, I, O]
        const filter = tf.transpose(get(b), [1, 2, 3, 0]) as tf.Tensor4D;
        let y: tf.Tensor = tf.conv2d(get(a) as tf.Tensor4D, filter, strides, padding, 'NHWC', dilations);
        if (c !== undefined && c >= 0) y = tf.add(y, get(c));
        define(out, y, o?.byte(3, 0) ?? 0);
        return;
      }
      case BUILTIN.ADD:
      case BUILTIN.SUB:
      case BUILTIN.MUL:
        define(out, ARITHMETIC[op.code](get(a), get(b)), o?.byte(0, 0) ?? 0);
        return;
      case BUILTIN.SQUARED_DIFFERENCE:
        define(out, tf.squaredDifference(get(a), get(b)));
        return;
      case BUILTIN.RSQRT:
        define(out, tf.rsqrt(get(a)));
        return;
      case BUILTIN.LOGISTIC:
        define(out, tf.sigmoid(get(a)));
        return;
      case BUILTIN.MEAN:
        define(out, tf.mean(get(a), Array.from(constant(b)), (o?.byte(0, 0) ?? 0) !== 0));
        return;
      case BUILTIN.MIRROR_PAD: {
        const p = constant(b);
        const pairs = [0, 1, 2, 3].map((axis) => [p[axis * 2], p[axis * 2 + 1]] as [number, number]);
        define(out, tf.mirrorPad(get(a), pairs, (o?.byte(0, 0) ?? 0) === 0 ? 'reflect' : 'symmetric'));
        return;
      }
      case BUILTIN.RESIZE_NEAREST_NEIGHBOR: {
        // The size constant was written for the file's input size: as a scale, the graph runs at any size.
        const size = constant(b);
        const [, h0, w0] = this.model.tensors[a].shape;
        const x = get(a) as tf.Tensor4D;
        const [, h, w] = x.shape;
        const target: [number, number] = [Math.floor((h * size[0]) / h0), Math.floor((w * size[1]) / w0)];
        define(out, tf.image.resizeNearestNeighbor(x, target, (o?.byte(0, 0) ?? 0) !== 0, (o?.byte(1, 0) ?? 0) !== 0));
        return;
      }
    }
  }

  dispose(): void {
    for (const t of this.constants.values()) t.dispose();
  }
}

/** Magenta's transformer on TF.js: frames 0..255 in and out, any size (padded to a multiple of 4 by reflection, cropped back). */
export class TfliteStyleNet {
  private readonly vector: tf.Tensor;
  constructor(private readonly graph: TfliteGraph, vector: Float32Array) {
    this.vector = tf.tensor(vector, [1, 1, 1, vector.length], 'float32');
  }

  /** `vector`, where given, instead of the style vector the net was made with. */
  stylize(frames: RgbFrame[], vector?: Float32Array): RgbFrame[] {
    const style = vector ? tf.tensor(vector, [1, 1, 1, vector.length], 'float32') : this.vector;
    try {
      return stylizePadded(frames, (x) => tf.clipByValue(tf.mul(this.graph.run([tf.div(x, 255), style]), 255), 0, 255));
    } finally {
      if (style !== this.vector) style.dispose();
    }
  }

  dispose(): void {
    this.vector.dispose();
    this.graph.dispose();
  }
}
