// The research kernels for the warp of the temporal stage's history (src/temporal/research/history-warps.ts),
// against what does not depend on the code: each kernel's textbook definition summed naively
// (Keys 1981; the tent, the cubic B-spline and Lanczos in their piecewise forms), the pixels
// themselves at whole-pixel displacements over the whole frame (the interpolating B-spline's
// prefilter and mirrored edges included), a straight line through the interpolating B-spline,
// the product's own bilinear look-ahead warp, and a 5x5 mean written out.
import { describe, expect, it } from 'vitest';
import { HISTORY_KERNELS, type HistoryKernel, warpHistory, withFineLeak } from '../src/temporal/research/history-warps.js';
import type { Flow } from '../src/temporal/image.js';
import { mixWarpedBilinear } from '../src/temporal/warp.js';

const W = 24, H = 16;
const uniformFlow = (dx: number, dy: number, width = W, height = H) => ({ width, height, data: Float32Array.from({ length: width * height * 2 }, (_, i) => (i % 2 ? dy : dx)) });
const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);

/** Each kernel as its textbook piecewise function of the distance s to a tap, and its reach. */
const TEXTBOOK: Partial<Record<HistoryKernel, { k: (s: number) => number; reach: number }>> = {
  bilinear: { k: (s) => Math.max(0, 1 - Math.abs(s)), reach: 1 },
  keys75: {
    k: (s) => {
      const a = -0.75, x = Math.abs(s);
      return x <= 1 ? (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1 : x < 2 ? a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a : 0;
    },
    reach: 2,
  },
  bsmooth: {
    k: (s) => {
      const x = Math.abs(s);
      return x <= 1 ? 2 / 3 - x ** 2 + x ** 3 / 2 : x < 2 ? (2 - x) ** 3 / 6 : 0;
    },
    reach: 2,
  },
  lanczos3: { k: (s) => (s === 0 ? 1 : Math.abs(s) < 3 ? (3 * Math.sin(Math.PI * s) * Math.sin((Math.PI * s) / 3)) / (Math.PI * s) ** 2 : 0), reach: 3 },
};

/** The image sampled at (x + dx, y + dy), clamped into the frame, by a kernel summed naively over every tap in reach (normalised, as Lanczos must be), edges clamped. */
function naive(kind: HistoryKernel, image: Uint8Array, dx: number, dy: number): Float64Array {
  const { k, reach } = TEXTBOOK[kind]!;
  const out = new Float64Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const sx = clamp(x + dx, W), sy = clamp(y + dy, H);
      let total = 0;
      const sum = [0, 0, 0];
      for (let j = Math.floor(sy) - reach; j <= Math.floor(sy) + reach + 1; j++)
        for (let i = Math.floor(sx) - reach; i <= Math.floor(sx) + reach + 1; i++) {
          const w = k(sx - i) * k(sy - j);
          total += w;
          for (let c = 0; c < 3; c++) sum[c] += w * image[3 * (clamp(j, H) * W + clamp(i, W)) + c];
        }
      for (let c = 0; c < 3; c++) out[3 * (y * W + x) + c] = sum[c] / total;
    }
  return out;
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i] - b[i]));
  return most;
};

describe('history warps (research)', () => {
  const image = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 97 + ((i * i) % 13) * 11) % 256);

  for (const kind of ['bilinear', 'keys75', 'bsmooth', 'lanczos3'] as const)
    it(`${kind}: the kernel's textbook definition summed naively, the whole frame, displacements between pixels and past the edges`, () => {
      for (const [dx, dy] of [[0.3, -0.6], [-2.7, 1.25], [5.5, 3.1]]) expect(worst(warpHistory(kind, image, uniformFlow(dx, dy), W, H), naive(kind, image, dx, dy)), `${kind} ${dx},${dy}`).toBeLessThan(1e-3);
    });

  for (const kind of HISTORY_KERNELS.filter((kind) => kind !== 'bsmooth'))
    it(`${kind}: whole-pixel displacements give the pixels themselves, over the whole frame`, () => {
      for (const [dx, dy] of [[2, 1], [-3, -2]]) {
        const expected = Float64Array.from({ length: W * H * 3 }, (_, i) => {
          const p = Math.floor(i / 3), x = p % W, y = Math.floor(p / W);
          return image[3 * (clamp(y + dy, H) * W + clamp(x + dx, W)) + (i % 3)];
        });
        expect(worst(warpHistory(kind, image, uniformFlow(dx, dy), W, H), expected), `${kind} ${dx},${dy}`).toBeLessThan(1e-3);
      }
    });

  it('bspline: a straight line sampled between pixels is the line there (its prefilter undoes the B-spline)', () => {
    const ramp = Float32Array.from({ length: W * H * 3 }, (_, i) => {
      const p = Math.floor(i / 3);
      return 3 * (p % W) + 2 * Math.floor(p / W) + (i % 3) * 10;
    });
    const out = warpHistory('bspline', ramp, uniformFlow(0.3, -0.6), W, H);
    let most = 0;
    for (let y = 8; y < H - 8; y++) for (let x = 8; x < W - 8; x++) for (let c = 0; c < 3; c++) most = Math.max(most, Math.abs(out[3 * (y * W + x) + c] - (3 * (x + 0.3) + 2 * (y - 0.6) + c * 10)));
    expect(most).toBeLessThan(1e-3);
  });

  it('bilinear with a flow smaller than the frame: the stage\'s own bilinear look-ahead warp, mixed in whole, within rounding', () => {
    const width = 40, height = 22;
    const picture = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 31 + ((i * 7) % 17) * 5) % 256);
    const small = { width: 20, height: 11, data: Float32Array.from({ length: 20 * 11 * 2 }, (_, i) => Math.sin(i * 0.37) * 2.5) };
    const warped = warpHistory('bilinear', picture, small, width, height);
    const mixed = mixWarpedBilinear(new Uint8Array(width * height * 3), picture, small, 1, new Float32Array(width * height).fill(1), width, height);
    expect(worst(warped.map((v) => Math.min(255, Math.max(0, Math.round(v)))), mixed)).toBeLessThanOrEqual(1);
  });

  it('the fine band kept: all of it is the warp itself, none of it each channel\'s 5x5 mean (edges replicated)', () => {
    const flow = uniformFlow(0.4, 0.2);
    const warp = (image: Uint8Array, flowIn: Flow, width: number, height: number) => warpHistory('bilinear', image, flowIn, width, height);
    const plain = warp(image, flow, W, H);
    expect(worst(withFineLeak(warp, 1)(image, flow, W, H), plain)).toBeLessThan(1e-3);
    const mean = Float64Array.from({ length: W * H * 3 }, (_, i) => {
      const p = Math.floor(i / 3), x = p % W, y = Math.floor(p / W);
      let sum = 0;
      for (let j = -2; j <= 2; j++) for (let k = -2; k <= 2; k++) sum += plain[3 * (clamp(y + j, H) * W + clamp(x + k, W)) + (i % 3)];
      return sum / 25;
    });
    expect(worst(withFineLeak(warp, 0)(image, flow, W, H), mean)).toBeLessThan(1e-3);
    expect(() => withFineLeak(warp, 1.5)).toThrow(/give a share from 0 to 1/);
  });
});
