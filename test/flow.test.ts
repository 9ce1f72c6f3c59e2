// Optical flow against motion the test makes itself, so the true flow is known at every pixel.
import { describe, expect, it } from 'vitest';
import { opticalFlow } from '../src/metrics/lucas-kanade.js';
import { boxSum, boxSumAndSquares, sample, type Gray } from '../src/temporal/image.js';
import { warpRgb } from '../src/temporal/warp.js';
import { consistencyMask } from '../src/temporal/consistency.js';
import { opticalFlowTf } from '../src/temporal/tf-flow.js';
import { disFlow } from '../src/temporal/dis-flow.js';
import { initBackend } from 'stylize-video';

const W = 160;
const H = 96;

/** A smooth random texture: sums of sinusoids, so every scale has gradients. */
function texture(x: number, y: number): number {
  let v = 0.5;
  for (let k = 1; k <= 6; k++) v += (0.25 / k) * Math.sin(x * 0.09 * k + k * 1.7 + Math.cos(y * 0.05 * k)) * Math.cos(y * 0.07 * k - k);
  return v;
}

/** An image whose content was moved by `motion`: frame b at q shows the texture at source(q). */
function image(source: (x: number, y: number) => [number, number]): Gray {
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = texture(...source(x, y));
  return { width: W, height: H, data };
}

/** Mean end-point error over pixels at least `margin` from the border. */
function endPointError(flow: { data: Float32Array }, truth: (x: number, y: number) => [number, number], margin = 12): number {
  let sum = 0;
  let n = 0;
  for (let y = margin; y < H - margin; y++)
    for (let x = margin; x < W - margin; x++) {
      const [tx, ty] = truth(x, y);
      const i = y * W + x;
      sum += Math.hypot(flow.data[2 * i] - tx, flow.data[2 * i + 1] - ty);
      n++;
    }
  return sum / n;
}

const cx = W / 2;
const cy = H / 2;
const CASES: Array<[string, (x: number, y: number) => [number, number], number]> = [
  // [name, where a pixel of a goes in b (the true flow), end-point error allowed]
  ['pan (3.4, -2.2) px', () => [3.4, -2.2], 0.15],
  ['large pan (9, 5) px', () => [9, 5], 0.3],
  ['zoom in 4%', (x, y) => [(x - cx) * 0.04, (y - cy) * 0.04], 0.25],
  ['rotation 2 degrees', (x, y) => {
    const a = (2 * Math.PI) / 180;
    return [(x - cx) * (Math.cos(a) - 1) - (y - cy) * Math.sin(a), (x - cx) * Math.sin(a) + (y - cy) * (Math.cos(a) - 1)];
  }, 0.25],
];

/** Frame a and the frame b that `truth` moves it to. */
function pair(truth: (x: number, y: number) => [number, number]): [Gray, Gray] {
  const a = image((x, y) => [x, y]);
  // b(q) = a(q − d(q)), to first order; invert the motion by a few fixed-point steps.
  const b = image((x, y) => {
    let [sx, sy] = [x, y];
    for (let k = 0; k < 5; k++) {
      const [dx, dy] = truth(sx, sy);
      [sx, sy] = [x - dx, y - dy];
    }
    return [sx, sy];
  });
  return [a, b];
}

describe('box sums', () => {
  it('equal the window sums written out, edges replicated, for any radius and size, of each channel of an interleaved image', () => {
    for (const channels of [1, 3])
      for (const [width, height, r] of [[37, 23, 2], [37, 23, 3], [5, 4, 3], [1, 9, 2], [64, 1, 1], [7, 6, 4]]) {
        const src = Float32Array.from({ length: width * height * channels }, (_, k) => ((k * 7919) % 251) - 125.5);
        const out = new Float32Array(width * height * channels);
        boxSum(src, width, height, r, out, channels);
        const at = (x: number, y: number, c: number) => src[(Math.min(Math.max(y, 0), height - 1) * width + Math.min(Math.max(x, 0), width - 1)) * channels + c];
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++)
            for (let c = 0; c < channels; c++) {
              let sum = 0;
              for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) sum += at(x + dx, y + dy, c);
              expect(out[(y * width + x) * channels + c]).toBeCloseTo(sum, 2);
            }
      }
  });

  it('of an image and its squares in one sweep: the window sums written out, and exactly what boxSum gives of the image and of an array of its squares', () => {
    for (const [width, height, r] of [[37, 23, 2], [37, 23, 3], [5, 4, 3], [1, 9, 2], [64, 1, 1], [7, 6, 4]]) {
      const src = Float32Array.from({ length: width * height }, (_, k) => (((k * 7919) % 251) - 125.5) / 97);
      const [sums, sumsOfSquares, once, ofSquares] = [0, 1, 2, 3].map(() => new Float32Array(width * height));
      boxSumAndSquares(src, width, height, r, sums, sumsOfSquares);
      boxSum(src, width, height, r, once);
      boxSum(src.map((v) => v * v), width, height, r, ofSquares);
      expect(Array.from(sums)).toEqual(Array.from(once));
      expect(Array.from(sumsOfSquares)).toEqual(Array.from(ofSquares));
      const at = (x: number, y: number) => src[Math.min(Math.max(y, 0), height - 1) * width + Math.min(Math.max(x, 0), width - 1)];
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          let sum = 0, squares = 0;
          for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) [sum, squares] = [sum + at(x + dx, y + dy), squares + at(x + dx, y + dy) ** 2];
          expect(sums[y * width + x]).toBeCloseTo(sum, 3);
          expect(sumsOfSquares[y * width + x]).toBeCloseTo(squares, 3);
        }
    }
  });
});

describe('optical flow on synthetic motion', () => {
  it.each(CASES)('%s', (_name, truth, allowed) => {
    const [a, b] = pair(truth);
    const flow = opticalFlow(a, b);
    const epe = endPointError(flow, truth);
    console.log(`${_name}: end-point error ${epe.toFixed(3)} px`);
    expect(epe).toBeLessThan(allowed);
  });

  it('warping b by the flow from a to b gives back a', () => {
    const a = image((x, y) => [x, y]);
    const b = image((x, y) => [x - 3.4, y + 2.2]);
    const flow = opticalFlow(a, b);
    const rgb = (g: Gray) => Float32Array.from({ length: W * H * 3 }, (_, i) => g.data[Math.floor(i / 3)]);
    const back = warpRgb(rgb(b), flow);
    let err = 0;
    let n = 0;
    for (let y = 12; y < H - 12; y++) for (let x = 12; x < W - 12; x++, n++) err += Math.abs(back[(y * W + x) * 3] - a.data[y * W + x]);
    expect(err / n).toBeLessThan(0.01);
    expect(sample(a.data, W, H, 1, 5, 5, 0)).toBeCloseTo(a.data[5 * W + 5], 6);
  });

  it('marks the pixels a moving square uncovers as untrusted, and the static background as trusted', () => {
    // A square moves 6 px right over a static background: the strip it uncovers has no past.
    const square = (x: number, y: number, shift: number) => x >= 50 + shift && x < 90 + shift && y >= 30 && y < 70;
    const frame = (shift: number): Gray => {
      const data = new Float32Array(W * H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = square(x, y, shift) ? texture(x - shift + 300, y + 200) : texture(x, y);
      return { width: W, height: H, data };
    };
    const previous = frame(0);
    const current = frame(6);
    const mask = consistencyMask(opticalFlow(current, previous), opticalFlow(previous, current));
    let uncovered = 0, uncoveredTrusted = 0, background = 0, backgroundTrusted = 0;
    for (let y = 34; y < 66; y++)
      for (let x = 0; x < W; x++) {
        const m = mask[y * W + x];
        if (x >= 51 && x < 55) (uncovered++, (uncoveredTrusted += m));
        if (x < 30 || x > 120) (background++, (backgroundTrusted += m));
      }
    expect(uncoveredTrusted / uncovered).toBeLessThan(0.3);
    expect(backgroundTrusted / background).toBeGreaterThan(0.9);
  });
});

describe('DIS optical flow on synthetic motion', () => {
  it.each(CASES)('%s', (_name, truth, allowed) => {
    const [a, b] = pair(truth);
    const epe = endPointError(disFlow(a, b), truth);
    console.log(`${_name} (DIS): end-point error ${epe.toFixed(3)} px`);
    expect(epe).toBeLessThan(allowed);
  });

  it('follows a pan of a tenth of the frame, (16, -10) px: its coarsest scale and steps there reach that far', () => {
    const truth = (): [number, number] => [16, -10];
    const [a, b] = pair(truth);
    const epe = endPointError(disFlow(a, b), truth);
    console.log(`huge pan (16, -10) px (DIS): end-point error ${epe.toFixed(3)} px`);
    expect(epe).toBeLessThan(0.3);
  });

  it('gives the same field for the same frames, call after call (its working memory is reused)', () => {
    const [a, b] = pair(CASES[0][1]);
    const first = disFlow(a, b).data.slice();
    disFlow(b, a);
    expect(disFlow(a, b).data).toEqual(first);
  });

  it('marks the pixels a moving square uncovers as untrusted, and the static background as trusted', () => {
    const square = (x: number, y: number, shift: number) => x >= 50 + shift && x < 90 + shift && y >= 30 && y < 70;
    const frame = (shift: number): Gray => {
      const data = new Float32Array(W * H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = square(x, y, shift) ? texture(x - shift + 300, y + 200) : texture(x, y);
      return { width: W, height: H, data };
    };
    const previous = frame(0);
    const current = frame(6);
    const mask = consistencyMask(disFlow(current, previous), disFlow(previous, current));
    let uncovered = 0, uncoveredTrusted = 0, background = 0, backgroundTrusted = 0;
    for (let y = 34; y < 66; y++)
      for (let x = 0; x < W; x++) {
        const m = mask[y * W + x];
        if (x >= 51 && x < 55) (uncovered++, (uncoveredTrusted += m));
        if (x < 30 || x > 120) (background++, (backgroundTrusted += m));
      }
    expect(uncoveredTrusted / uncovered).toBeLessThan(0.3);
    expect(backgroundTrusted / background).toBeGreaterThan(0.9);
  });
});

// The GPU path (tfjs-node-gpu) runs the flow as TF.js ops; here the same ops run on wasm.
describe('optical flow as TF.js ops (the GPU path), on the wasm backend', () => {
  it.each(CASES)('%s: the same accuracy, and the same field as the JS flow', async (_name, truth, allowed) => {
    await initBackend('wasm');
    const [a, b] = pair(truth);
    const flow = opticalFlowTf(a, b);
    const epe = endPointError(flow, truth);
    console.log(`${_name} (TF.js ops): end-point error ${epe.toFixed(3)} px`);
    expect(epe).toBeLessThan(allowed);
    const js = opticalFlow(a, b);
    let worst = 0;
    for (let i = 0; i < js.data.length; i++) worst = Math.max(worst, Math.abs(js.data[i] - flow.data[i]));
    expect(worst).toBeLessThan(0.05);
  });
});
