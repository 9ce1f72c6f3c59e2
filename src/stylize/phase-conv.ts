// A stride-2, 3x3, SAME transposed convolution rewritten as one ordinary 2x2 convolution whose
// four output groups are the four pixel phases, interleaved by depthToSpace. The wasm backend runs
// conv2dTranspose as a plain loop but conv2d through XNNPACK, so this is several times faster.
//
// Per axis, TF's transposed convolution gives out[2m] = x[m]·w[0] + x[m-1]·w[2] and
// out[2m+1] = x[m]·w[1]. With the input padded by one row/column at the top/left, tap d of the
// 2x2 kernel reads x[m-1+d], so phase 0 takes (w[2], w[0]) and phase 1 takes (none, w[1]).
import * as tf from '@tensorflow/tfjs-core';

const TAP: Array<Array<number | undefined>> = [
  [2, 0], // even output: tap 0 (x[m-1]) uses w[2], tap 1 (x[m]) uses w[0]
  [undefined, 1], // odd output: only x[m], with w[1]
];

/** Turns a [3, 3, out, in] transposed kernel into a [2, 2, in, 4·out] phase kernel. */
export function phaseKernel(values: Float32Array, shape: number[]): { values: Float32Array; shape: [number, number, number, number] } {
  const [kh, kw, outC, inC] = shape;
  if (kh !== 3 || kw !== 3) throw new Error(`phase decomposition is written for 3x3 kernels, not ${kh}x${kw}`);
  const phases = 4 * outC;
  const result = new Float32Array(2 * 2 * inC * phases);
  for (let py = 0; py < 2; py++)
    for (let px = 0; px < 2; px++)
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const ky = TAP[py][dy];
          const kx = TAP[px][dx];
          if (ky === undefined || kx === undefined) continue;
          for (let ci = 0; ci < inC; ci++)
            for (let co = 0; co < outC; co++) {
              const source = ((ky * 3 + kx) * outC + co) * inC + ci;
              const target = ((dy * 2 + dx) * inC + ci) * phases + (py * 2 + px) * outC + co;
              result[target] = values[source];
            }
        }
  return { values: result, shape: [2, 2, inC, phases] };
}

/** Same result as conv2dTranspose(x, kernel, [n, 2h, 2w, out], 2, 'same'), given phaseKernel(kernel). */
export function upsampleByPhases(x: tf.Tensor4D, phase: tf.Tensor4D): tf.Tensor4D {
  const phases = tf.tidy(() => tf.conv2d(tf.pad(x, [[0, 0], [1, 0], [1, 0], [0, 0]]), phase, 1, 'valid'));
  const interleaved = tf.depthToSpace(phases, 2, 'NHWC');
  phases.dispose();
  return interleaved;
}
