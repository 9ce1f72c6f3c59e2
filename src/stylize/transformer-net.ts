// The feed-forward network of Johnson et al. (2016), on whatever TF.js backend is active.
import * as tf from '@tensorflow/tfjs-core';
import { rgbBytes, type RgbFrame } from '../frame.js';
import { phaseKernel, upsampleByPhases } from './phase-conv.js';
import { DECODER, ENCODER, RESIDUAL_BLOCKS, type LayerSpec, type ModelWeights } from './model-files.js';

const EPSILON = 1e-3;

export class TransformerNet {
  private readonly weights: tf.Tensor[];
  /** the transposed layers' kernels in phase form, by variable index */
  private readonly phaseKernels = new Map<number, tf.Tensor4D>();

  constructor(readonly model: ModelWeights) {
    this.weights = model.variables.map((v) => tf.tensor(v.values, v.shape, 'float32'));
    for (const spec of DECODER.filter((s) => s.transposed)) {
      const { values, shape } = phaseKernel(model.variables[spec.index].values, model.variables[spec.index].shape);
      this.phaseKernels.set(spec.index, tf.tensor4d(values, shape));
    }
  }

  /**
   * Per image and channel over H and W. The sums come from a product with a row of ones (the
   * reshape is free, so the only full-size temporary is y²) and the scaling is one batchNorm op:
   * moments() plus broadcast arithmetic held five full-size tensors at once, which at 1080p is
   * gigabytes of wasm heap, and a wasm heap never shrinks.
   */
  private instanceNorm(y: tf.Tensor4D, index: number): tf.Tensor4D {
    const shift = this.weights[index + 1] as tf.Tensor1D;
    const scale = this.weights[index + 2] as tf.Tensor1D;
    const [n, h, w, c] = y.shape;
    const statShape = n === 1 ? [c] : [n, 1, 1, c];
    const [mean, variance] = tf.tidy(() => {
      const pixels = tf.reshape(y, [n, h * w, c]);
      const average = tf.fill([n, 1, h * w], 1 / (h * w));
      const m = tf.matMul(average, pixels);
      const v = tf.relu(tf.sub(tf.matMul(average, tf.square(pixels)), tf.square(m)));
      return [tf.reshape(m, statShape), tf.reshape(v, statShape)];
    });
    const out =
      n === 1
        ? tf.batchNorm(y, mean as tf.Tensor1D, variance as tf.Tensor1D, shift, scale, EPSILON)
        : tf.tidy(() => {
            const gain = tf.mul(scale, tf.rsqrt(tf.add(variance, EPSILON)));
            return tf.add(tf.mul(y, gain), tf.sub(shift, tf.mul(mean, gain))) as tf.Tensor4D;
          });
    mean.dispose();
    variance.dispose();
    return out;
  }

  /** conv → instance norm → relu, each intermediate freed as soon as the next exists */
  private layer(x: tf.Tensor4D, spec: LayerSpec): tf.Tensor4D {
    const kernel = this.weights[spec.index] as tf.Tensor4D;
    const y = spec.transposed ? upsampleByPhases(x, this.phaseKernels.get(spec.index)!) : tf.conv2d(x, kernel, spec.stride, 'same');
    const normalised = this.instanceNorm(y, spec.index);
    y.dispose();
    if (!spec.relu) return normalised;
    const activated = tf.relu(normalised) as tf.Tensor4D;
    normalised.dispose();
    return activated;
  }

  /**
   * RGB 0..255 in, RGB 0..255 out, NHWC; height and width multiples of 4. Each layer's
   * intermediates are freed as soon as its output exists: one tidy() around the whole pass would
   * keep them all to the end (about 0.9 GB of wasm heap at 640x360, instead of a few activations).
   */
  forward(input: tf.Tensor4D): tf.Tensor4D {
    let y = input;
    const step = (next: tf.Tensor4D) => {
      if (y !== input) y.dispose();
      y = next;
    };
    for (const spec of ENCODER) step(this.layer(y, spec));
    for (const [a, b] of RESIDUAL_BLOCKS) {
      const skip = y;
      const inner = this.layer(skip, a);
      const residual = this.layer(inner, b);
      inner.dispose();
      const out = tf.add(skip, residual) as tf.Tensor4D;
      residual.dispose();
      step(out);
    }
    for (const spec of DECODER) step(this.layer(y, spec));
    const result = tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tf.tanh(y), 150), 127.5), 0, 255) as tf.Tensor4D);
    step(result);
    return result;
  }

  /** Stylizes frames of one size as one batch (see stylizePadded). */
  stylize(frames: RgbFrame[]): RgbFrame[] {
    return stylizePadded(frames, (x) => this.forward(x));
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
    for (const k of this.phaseKernels.values()) k.dispose();
  }
}

/**
 * Runs `network` (NHWC, 0..255 in and out) on frames of one size as one batch. Sizes that are not
 * multiples of 4 are padded by reflection and cropped back, so the output has exactly the input's size.
 */
export function stylizePadded(frames: RgbFrame[], network: (x: tf.Tensor4D) => tf.Tensor): RgbFrame[] {
  if (frames.length === 0) return [];
  const { width, height } = frames[0];
  const padH = (4 - (height % 4)) % 4;
  const padW = (4 - (width % 4)) % 4;
  const pixels = new Float32Array(frames.length * width * height * 3);
  frames.forEach((f, i) => pixels.set(f.data, i * f.data.length));
  const output = tf.tidy(() => {
    let x = tf.tensor4d(pixels, [frames.length, height, width, 3]);
    if (padH || padW) x = tf.mirrorPad(x, [[0, 0], [0, padH], [0, padW], [0, 0]], padH >= height || padW >= width ? 'symmetric' : 'reflect');
    let y = network(x);
    if (padH || padW) y = tf.slice(y, [0, 0, 0, 0], [frames.length, height, width, 3]);
    return y;
  });
  const values = output.dataSync();
  output.dispose();
  const frameLength = rgbBytes(width, height);
  return frames.map((f, i) => {
    const data = new Uint8Array(frameLength);
    const base = i * frameLength;
    for (let j = 0; j < frameLength; j++) data[j] = values[base + j] + 0.5;
    return { index: f.index, width, height, data };
  });
}
