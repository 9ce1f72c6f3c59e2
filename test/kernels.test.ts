// The temporal stage's WebAssembly kernels: the committed module is what its sources compile to,
// and each kernel matches, to the bit, the JavaScript it replaced (test/helpers/*-reference.ts).
import { describe, expect, it } from 'vitest';
import { boxSum, boxSumAndSquares, type Flow } from '../src/temporal/image.js';
import { meanSimilarity } from '../src/temporal/kernels/index.js';
import { warpRgb } from '../src/temporal/warp.js';
import { boxSumAndSquaresReference, boxSumReference } from './helpers/box-reference.js';
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

/** Where two float arrays differ, bit for bit but for NaN, which matches any NaN (a kernel need not keep a NaN's sign: frames of bytes make none). */
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
      const sums = new Float32Array(n), sumsOfSquares = new Float32Array(n);
      boxSumAndSquares(own, width, height, r, sums, sumsOfSquares);
      for (const shift of [0, 1.37, -4.2]) {
        const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
        const kernel = meanSimilarity(out, own, sums, sumsOfSquares, width, height, r, shift, c1, c2);
        expect(Object.is(kernel, meanSimilarityReference(out, own, sums, sumsOfSquares, width, height, r, shift)), `${width}x${height}, r ${r}, shift ${shift}`).toBe(true);
      }
    }
  });

  it('the box sums match the JavaScript reference to the bit: one to four channels, odd and even sizes, radii past the frame', () => {
    const next = random(11);
    for (const [width, height, r, channels] of [[64, 36, 4, 3], [37, 23, 2, 1], [5, 3, 3, 3], [1, 1, 2, 1], [9, 2, 1, 2], [30, 17, 3, 4], [40, 30, 0, 3]]) {
      const n = width * height * channels;
      const src = Float32Array.from({ length: n }, () => (next() - 0.4) * 300);
      const kernel = new Float32Array(n), reference = new Float32Array(n);
      boxSum(src, width, height, r, kernel, channels);
      boxSumReference(src, width, height, r, reference, channels);
      expect(differing(kernel, reference), `boxSum ${width}x${height}x${channels}, r ${r}`).toBe(0);
      if (channels !== 1) continue;
      const [sums, squares, sumsReference, squaresReference] = Array.from({ length: 4 }, () => new Float32Array(n));
      boxSumAndSquares(src, width, height, r, sums, squares);
      boxSumAndSquaresReference(src, width, height, r, sumsReference, squaresReference);
      expect(differing(sums, sumsReference) + differing(squares, squaresReference), `boxSumAndSquares ${width}x${height}, r ${r}`).toBe(0);
    }
  });

  it('special values go through as in the JavaScript: NaN, infinities and huge vectors in the flow; NaN, infinities and −0 in the image; r 0 and a NaN shift', () => {
    const next = random(3);
    const width = 24, height = 14;
    const special = [NaN, Infinity, -Infinity, 1e30, -1e30, 3e38, -0, 1e-40, 1e6];
    const flow = flowOf(12, 7, 2, next);
    for (let i = 0; i < flow.data.length; i += 5) flow.data[i] = special[(i / 5) % special.length];
    const image = Float32Array.from({ length: width * height * 3 }, () => next() * 255);
    for (let i = 0; i < image.length; i += 37) image[i] = [NaN, Infinity, -Infinity, -0][(i / 37) % 4];
    expect(differing(warpRgb(image, flow, width, height), warpRgbReference(image, flow, width, height))).toBe(0);
    const own = Float32Array.from({ length: width * height }, () => next() * 255);
    const out = Float32Array.from(own, (v, k) => (k % 29 === 0 ? [NaN, -0, Infinity][k % 3] : v + 10 * next()));
    for (const r of [0, 1, 2]) {
      const sums = new Float32Array(own.length), sumsOfSquares = new Float32Array(own.length);
      boxSumAndSquares(own, width, height, r, sums, sumsOfSquares);
      for (const shift of [0.5, NaN]) {
        const kernel = meanSimilarity(out, own, sums, sumsOfSquares, width, height, r, shift, (0.01 * 255) ** 2, (0.03 * 255) ** 2);
        expect(Object.is(kernel, meanSimilarityReference(out, own, sums, sumsOfSquares, width, height, r, shift)), `r ${r}, shift ${shift}`).toBe(true);
      }
      // the box sums: one channel and its squares (1e20 squares past float32), two and four channels
      const values = Float32Array.from(out, (v, k) => (k % 31 === 0 ? 1e20 : v));
      const [kernelSums, kernelSquares, referenceSums, referenceSquares] = Array.from({ length: 4 }, () => new Float32Array(values.length));
      boxSumAndSquares(values, width, height, r, kernelSums, kernelSquares);
      boxSumAndSquaresReference(values, width, height, r, referenceSums, referenceSquares);
      expect(differing(kernelSums, referenceSums) + differing(kernelSquares, referenceSquares), `boxSumAndSquares, r ${r}`).toBe(0);
      for (const channels of [1, 2, 4]) {
        const interleaved = Float32Array.from({ length: values.length * channels }, (_, i) => values[(i * 7) % values.length]);
        const [kernel, reference] = [new Float32Array(interleaved.length), new Float32Array(interleaved.length)];
        boxSum(interleaved, width, height, r, kernel, channels);
        boxSumReference(interleaved, width, height, r, reference, channels);
        expect(differing(kernel, reference), `boxSum, ${channels} channels, r ${r}`).toBe(0);
      }
    }
  });

  it('a kernel after another has filled more of the memory reads only its own inputs; inputs and outputs too short are refused', () => {
    const next = random(9);
    const large = Float32Array.from({ length: 200 * 120 * 3 }, () => next() * 255);
    const largeSums = new Float32Array(large.length);
    boxSum(large, 200, 120, 4, largeSums, 3); // leaves a large frame's values in the memory
    const width = 31, height = 17;
    const image = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(next() * 256));
    const flow = flowOf(16, 9, 3, next);
    expect(differing(warpRgb(image, flow, width, height), warpRgbReference(image, flow, width, height))).toBe(0);
    expect(() => warpRgb(image.subarray(0, 10), flow, width, height)).toThrow(/the image has 10 values where 1581 are needed/);
    expect(() => warpRgb(image, { ...flow, data: flow.data.subarray(0, 4) }, width, height)).toThrow(/the flow has 4 values/);
    const plane = new Float32Array(width * height);
    expect(() => boxSum(plane.subarray(1), width, height, 2, new Float32Array(plane.length))).toThrow(/the image has 526 values where 527/);
    expect(() => boxSum(plane, width, height, 2, new Float32Array(3))).toThrow(/the output has 3 values/);
    expect(() => boxSumAndSquares(plane, width, height, 2, new Float32Array(plane.length), new Float32Array(2))).toThrow(/the sums of squares has 2 values/);
    boxSum(new Float32Array(0), width, 0, 2, new Float32Array(0)); // an empty image: nothing to sum, as before
  });
});
