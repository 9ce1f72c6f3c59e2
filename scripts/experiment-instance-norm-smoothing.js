#!/usr/bin/env node
// Experiment for issue #3, measured and dropped: smooth every instance-norm layer's mean and variance
// over time (exponential moving average, weight alpha on the past), sequentially on the wasm
// backend, then the usual temporal blend; writes a video for `stylize-video metrics`.
//   node scripts/experiment-instance-norm-smoothing.js <in.mp4> <out.mp4> <alpha> <blend strength>
import * as tf from '@tensorflow/tfjs-core';
import { createTemporalStage, decodeFrames, initBackend, loadModelWeights, probeVideo, startEncoder, TransformerNet } from '../dist/index.js';
const [input, output, alphaText, strengthText] = process.argv.slice(2);
const alpha = Number(alphaText);
await initBackend('wasm');
const net = new TransformerNet(await loadModelWeights(process.env.STYLIZE_VIDEO_MODELS + '/wave', 'wave'));
const state = new Map();
const EPS = 1e-3;
net.instanceNorm = function (y, index) {
  const shift = this.weights[index + 1];
  const scale = this.weights[index + 2];
  const c = y.shape[3];
  const [mean, variance] = tf.tidy(() => {
    const { mean, variance } = tf.moments(y, [1, 2]);
    return [tf.reshape(mean, [c]), tf.reshape(variance, [c])];
  });
  let m = mean, v = variance;
  const prev = state.get(index);
  if (prev && alpha > 0) {
    m = tf.tidy(() => tf.add(tf.mul(prev[0], alpha), tf.mul(mean, 1 - alpha)));
    v = tf.tidy(() => tf.add(tf.mul(prev[1], alpha), tf.mul(variance, 1 - alpha)));
    mean.dispose(); variance.dispose(); prev[0].dispose(); prev[1].dispose();
  }
  state.set(index, [tf.keep(m.clone()), tf.keep(v.clone())]);
  const out = tf.batchNorm(y, m, v, shift, scale, EPS);
  m.dispose(); v.dispose();
  return out;
};
const info = await probeVideo(input);
const temporal = await createTemporalStage({ strength: Number(strengthText) });
const encoder = startEncoder({ path: output, container: 'mp4', width: info.width, height: info.height, fps: info.fps, codec: 'h264', crf: 12 });
for await (const frame of decodeFrames(info)) {
  const [stylized] = net.stylize([frame]);
  for (const { output: finished } of temporal.next(frame, stylized)) await encoder.write(finished);
}
for (const { output: finished } of temporal.end()) await encoder.write(finished);
await encoder.finish();
console.log('done', output);
