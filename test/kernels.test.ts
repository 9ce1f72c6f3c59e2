// The temporal stage's WebAssembly kernels: the committed module is what its sources compile to,
// and each kernel matches, to the bit, the JavaScript it replaced (test/helpers/*-reference.ts).
import { describe, expect, it } from 'vitest';
import { boxSumAndSquares, type Flow } from '../src/temporal/image.js';
import { meanSimilarity } from '../src/temporal/kernels/index.js';
import { warpRgb } from '../src/temporal/warp.js';
import { meanSimilarityReference } from './helpers/similarity-reference.js';
import { warpRgbReference } from './helpers/warp-reference.js';
// @ts-expect-error: a script in plain JavaScript, without declarations
import { committedKernels, compileKernels } from '../scripts/build-kernels.js';

/** A deterministic stream of numbers in [0, 1) (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A smooth flow with a few sharp jumps, reaching `reach` pixels (of the flow's grid) and past the frame's edges. */
function flowOf(width: number, height: number, reach: number, next: () => number): Flow {
  const data = new Float32Array(width * height * 2);
  const phase = next() * 6;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const jump = next() < 0.02 ? (next() - 0.5) * 8 * reach : 0;
      data[2 * (y * width + x)] = reach * Math.sin(x / 7 + phase) + jump;
      data[2 * (y * width + x) + 1] = reach * Math.cos(y / 5 - phase + x / 11) - jump / 2;
    }
  return { width, height, data };
}

/** Where two float arrays differ, bit for bit (NaN matching NaN). */
function differing(a: Float32Array, b: Float32Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) count++;
  return count;
}

describe('WebAssembly kernels', () => {
  it('the committed module is what the kernels compile to (node scripts/build-kernels.js writes it)', async () => {
    const [compiled, committed] = await Promise.all([compileKernels(), committedKernels()]);
    expect(committed.equals(compiled)).toBe(true);
  });

  it('the bicubic warp matches the JavaScript reference to the bit: frame and flow sizes, displacements past the edges, 8-bit and float images', () => {
    const next = random(23);
    // [frame width, height, flow width, height, reach]: a flow at half size (the stage's), at full
    // size, of odd sizes, larger than the frame, and frames too small for any inside neighbourhood
    const cases = [
      [64, 36, 32, 18, 3],
      [64, 36, 64, 36, 1.5],
      [37, 23, 19, 12, 6],
      [20, 12, 40, 24, 2],
      [3, 2, 3, 2, 1],
      [1, 1, 1, 1, 0.5],
      [200, 120, 100, 60, 40],
    ];
    for (const [width, height, flowWidth, flowHeight, reach] of cases) {
      const flow = flowOf(flowWidth, flowHeight, reach, next);
      const bytes = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(next() * 256));
      const floats = Float32Array.from(bytes, (v) => v + next() - 0.5);
      for (const image of [bytes, floats]) {
        const label = `${width}x${height} from a ${flowWidth}x${flowHeight} flow, ${image.constructor.name}`;
        expect(differing(warpRgb(image, flow, width, height), warpRgbReference(image, flow, width, height)), label).toBe(0);
      }
    }
  });

  it('reuses its output buffer and its memory from call to call, a larger frame then a smaller one', () => {
    const next = random(5);
    const into = new Float32Array(48 * 27 * 3);
    for (const [width, height] of [[48, 27], [160, 90], [48, 27]]) {
      const flow = flowOf(width >> 1, height >> 1, 2, next);
      const image = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(next() * 256));
      const out = warpRgb(image, flow, width, height, width === 48 ? into : undefined);
      if (width === 48) expect(out).toBe(into);
      expect(differing(out, warpRgbReference(image, flow, width, height))).toBe(0);
    }
  });

  it('the similarity sweep matches the JavaScript reference to the bit: sizes odd and even, frames smaller than a window, shifts, radii', () => {
    const next = random(7);
    for (const [width, height, r] of [[64, 36, 2], [37, 23, 2], [5, 3, 2], [1, 1, 2], [2, 9, 1], [90, 40, 4]]) {
      const n = width * height;
      const own = Float32Array.from({ length: n }, () => next() * 255);
      // a blend of the stylized luma with something else, as the floor's tries are
      const out = Float32Array.from(own, (v) => 0.7 * v + 80 * next());
      const sums = new Float32Array(n), squareSums = new Float32Array(n);
      boxSumAndSquares(own, width, height, r, sums, squareSums);
      for (const shift of [0, 1.37, -4.2]) {
        const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
        const kernel = meanSimilarity(out, own, sums, squareSums, width, height, r, shift, c1, c2);
        expect(Object.is(kernel, meanSimilarityReference(out, own, sums, squareSums, width, height, r, shift)), `${width}x${height}, r ${r}, shift ${shift}`).toBe(true);
      }
    }
  });
});
