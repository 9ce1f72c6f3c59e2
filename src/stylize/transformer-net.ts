// The feed-forward network of Johnson et al. (2016), on whatever TF.js backend is active.
import * as tf from '@tensorflow/tfjs-core';
import type { RgbFrame } from '../frame.js';
import { phaseKernel, upsampleByPhases } from './phase-conv.js';
import { DECODER, ENCODER, RESIDUAL_BLOCKS, type LayerSpec, type ModelWeights } from './model-files.js';

const EPSILON = 1e-3;

export class TransformerNet {
  private readonly weights: tf.Tensor[];
  /** the transposed layers' kernels in phase form, by variable index */
  private readonly phaseKernels = new Map<number, tf.Tensor4D>();

  constructor(
    readonly model: ModelWeights,
    /** 'phases' (default) runs upsampling as ordinary convolutions; 'transpose' uses conv2dTranspose */
    readonly upsampling: 'phases' | 'transpose' = 'phases',
  ) {
    this.weights = model.variables.map((v) => tf.tensor(v.values, v.shape, 'float32'));
    for (const spec of DECODER.filter((s) => s.transposed)) {
      const { values, shape } = phaseKernel(model.variables[spec.index].values, model.variables[spec.index].shape);
      this.phaseKernels.set(spec.index, tf.tensor4d(values, shape));
    }
  }

  private instanceNorm(y: tf.Tensor4D, index: number): tf.Tensor4D {
    const shift = this.weights[index + 1];
    const scale = this.weights[index + 2];
    const { mean, variance } = tf.moments(y, [1, 2], true);
    const gain = tf.mul(scale, tf.rsqrt(tf.add(variance, EPSILON)));
    return tf.add(tf.mul(y, gain), tf.sub(shift, tf.mul(mean, gain))) as tf.Tensor4D;
  }

  private layer(x: tf.Tensor4D, spec: LayerSpec): tf.Tensor4D {
    const kernel = this.weights[spec.index] as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (spec.transposed && this.upsampling === 'phases') {
      y = upsampleByPhases(x, this.phaseKernels.get(spec.index)!);
    } else if (spec.transposed) {
      const [n, h, w] = x.shape;
      y = tf.conv2dTranspose(x, kernel, [n, h * 2, w * 2, kernel.shape[2]], 2, 'same');
    } else {
      y = tf.conv2d(x, kernel, spec.stride, 'same');
    }
    y = this.instanceNorm(y, spec.index);
    return spec.relu ? (tf.relu(y) as tf.Tensor4D) : y;
  }

  /** RGB 0..255 in, RGB 0..255 out, NHWC; height and width multiples of 4. */
  forward(input: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = input;
      for (const spec of ENCODER) y = this.layer(y, spec);
      for (const [a, b] of RESIDUAL_BLOCKS) y = tf.add(y, this.layer(this.layer(y, a), b)) as tf.Tensor4D;
      for (const spec of DECODER) y = this.layer(y, spec);
      return tf.clipByValue(tf.add(tf.mul(tf.tanh(y), 150), 127.5), 0, 255) as tf.Tensor4D;
    });
  }

  /**
   * Stylizes frames of one size as one batch. Sizes that are not multiples of 4 are padded by
   * reflection and cropped back, so the output has exactly the input's size.
   */
  stylize(frames: RgbFrame[]): RgbFrame[] {
    if (frames.length === 0) return [];
    const { width, height } = frames[0];
    const padH = (4 - (height % 4)) % 4;
    const padW = (4 - (width % 4)) % 4;
    const pixels = new Float32Array(frames.length * width * height * 3);
    frames.forEach((f, i) => pixels.set(f.data, i * f.data.length));
    const output = tf.tidy(() => {
      let x = tf.tensor4d(pixels, [frames.length, height, width, 3]);
      if (padH || padW) x = tf.mirrorPad(x, [[0, 0], [0, padH], [0, padW], [0, 0]], padH >= height || padW >= width ? 'symmetric' : 'reflect');
      let y = this.forward(x);
      if (padH || padW) y = tf.slice(y, [0, 0, 0, 0], [frames.length, height, width, 3]);
      return y;
    });
    const values = output.dataSync();
    output.dispose();
    const frameLength = width * height * 3;
    return frames.map((f, i) => {
      const data = new Uint8Array(frameLength);
      const base = i * frameLength;
      for (let j = 0; j < frameLength; j++) data[j] = values[base + j] + 0.5;
      return { index: f.index, width, height, data };
    });
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
    for (const k of this.phaseKernels.values()) k.dispose();
  }
}
