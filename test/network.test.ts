import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModelWeights, TransformerNet, type ModelWeights } from 'stylize-video';
import { phaseKernel, upsampleByPhases } from '../src/stylize/phase-conv.js';
import { naiveStylize } from './helpers/naive-net.js';
import { sharedModels, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';

function pattern(width: number, height: number, seed: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (Math.sin(x * 0.7 + c + seed) * 60 + Math.cos(y * 0.5 - c) * 60 + 128 + ((x * y * 31 + seed) % 17)) | 0;
  return data;
}

function compareWithNaive(weights: ModelWeights, width: number, height: number) {
  const data = pattern(width, height, 3);
  const [ours] = new TransformerNet(weights).stylize([{ index: 0, width, height, data }]);
  const reference = naiveStylize(data, width, height, weights.variables);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(ours.data[i] - reference[i]));
  // A saturated or constant output would make the comparison meaningless.
  expect(new Set(ours.data).size).toBeGreaterThan(20);
  return { worst, size: [ours.width, ours.height] };
}

describe('TransformerNet', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('matches a naive loop implementation with a tiny random model, at a size not divisible by 4', async () => {
    const weights = await loadModelWeights(writeTinyModel(tempDir()), 'tiny');
    const { worst, size } = compareWithNaive(weights, 23, 14);
    expect(size).toEqual([23, 14]);
    expect(worst).toBeLessThanOrEqual(1); // rounding to 8 bits
  });

  it.skipIf(!sharedModels)('matches the naive implementation with the real wave weights on a small crop', async () => {
    const weights = await loadModelWeights(`${sharedModels}/wave`, 'wave');
    const { worst } = compareWithNaive(weights, 18, 13);
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('phase-decomposed upsampling equals conv2dTranspose', () => {
    for (const [h, w, ci, co] of [[5, 7, 6, 4], [8, 8, 3, 5], [1, 3, 2, 2]]) {
      const kernel = tf.randomNormal([3, 3, co, ci]) as tf.Tensor4D;
      const x = tf.randomNormal([2, h, w, ci]) as tf.Tensor4D;
      const expected = tf.conv2dTranspose(x, kernel, [2, 2 * h, 2 * w, co], 2, 'same');
      const { values, shape } = phaseKernel(kernel.dataSync() as Float32Array, kernel.shape);
      const actual = upsampleByPhases(x, tf.tensor4d(values, shape));
      expect(actual.shape).toEqual(expected.shape);
      const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
      expect(diff).toBeLessThan(1e-4);
    }
  });
});

const onnxInstalled = await import('onnxruntime-node').then(() => true, () => false);

describe.skipIf(!onnxInstalled)(`the ONNX Runtime engine${onnxInstalled ? '' : ' (skipped: onnxruntime-node is not installed)'}`, () => {
  const compareOnnxWithNaive = async (weights: ModelWeights, width: number, height: number) => {
    const { OnnxNet } = await import('../src/stylize/onnx-net.js');
    const net = await OnnxNet.create(weights, 1);
    const frames = [3, 4].map((seed, index) => ({ index, width, height, data: pattern(width, height, seed) }));
    const outputs = await net.stylize(frames);
    await net.dispose();
    let worst = 0;
    frames.forEach((f, n) => {
      const reference = naiveStylize(f.data, width, height, weights.variables);
      expect([outputs[n].width, outputs[n].height, outputs[n].index]).toEqual([width, height, n]);
      expect(new Set(outputs[n].data).size).toBeGreaterThan(20);
      for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(outputs[n].data[i] - reference[i]));
    });
    return worst;
  };

  it('matches the naive implementation with a tiny random model, two frames in a batch, at a size not divisible by 4', async () => {
    const weights = await loadModelWeights(writeTinyModel(tempDir()), 'tiny');
    expect(await compareOnnxWithNaive(weights, 23, 14)).toBeLessThanOrEqual(1);
  });

  it.skipIf(!sharedModels)('matches the naive implementation with the real wave weights', async () => {
    const weights = await loadModelWeights(`${sharedModels}/wave`, 'wave');
    expect(await compareOnnxWithNaive(weights, 18, 13)).toBeLessThanOrEqual(1);
  });
});
