// Other interpolation kernels for the warp of the stage's history (its own output, warped again
// every frame), in place of Catmull-Rom: how soft the history's fine band is decides how much of
// the past's strokes the blend keeps (docs/temporal-detail.md, How soft the history is warped).
import { DETAIL_RADIUS } from '../detail-gain.js';
import { boxSum, type Flow } from '../image.js';
import type { HistoryWarp } from '../index.js';
import { resizeFlow } from '../warp.js';

/** The kernels: bilinear; Keys' cubic at a = −0.75 (sharper than Catmull-Rom's −0.5); the cubic B-spline interpolating (its coefficients prefiltered: Unser 1999) or smoothing (not prefiltered); Lanczos of 3 lobes. */
export const HISTORY_KERNELS = ['bilinear', 'keys75', 'bspline', 'bsmooth', 'lanczos3'] as const;
export type HistoryKernel = (typeof HISTORY_KERNELS)[number];

/** The taps at fraction t (written into w), and the first tap's offset from the sample's floor. */
function taps(kind: HistoryKernel, t: number, w: Float64Array): number {
  const t2 = t * t, t3 = t2 * t;
  switch (kind) {
    case 'bilinear':
      w[0] = 1 - t;
      w[1] = t;
      return 0;
    case 'keys75': {
      const a = -0.75;
      w[0] = a * (t3 - 2 * t2 + t);
      w[1] = (a + 2) * t3 - (a + 3) * t2 + 1;
      w[2] = -(a + 2) * t3 + (2 * a + 3) * t2 - a * t;
      w[3] = -a * t3 + a * t2;
      return -1;
    }
    case 'bspline':
    case 'bsmooth': {
      const s = 1 - t;
      w[0] = (s * s * s) / 6;
      w[1] = (4 - 6 * t2 + 3 * t3) / 6;
      w[2] = (1 + 3 * t + 3 * t2 - 3 * t3) / 6;
      w[3] = t3 / 6;
      return -1;
    }
    case 'lanczos3': {
      let total = 0;
      for (let k = 0; k < 6; k++) {
        const d = t - (k - 2);
        w[k] = Math.abs(d) < 1e-9 ? 1 : (3 * Math.sin(Math.PI * d) * Math.sin((Math.PI * d) / 3)) / (Math.PI * Math.PI * d * d);
        total += w[k];
      }
      for (let k = 0; k < 6; k++) w[k] /= total;
      return -2;
    }
  }
}

const tapCount = (kind: HistoryKernel) => (kind === 'bilinear' ? 2 : kind === 'lanczos3' ? 6 : 4);

/** Each channel's cubic B-spline coefficients (pole √3 − 2, mirrored edges: Unser 1999), so that the B-spline through them passes through the pixels. */
function bsplineCoefficients(image: Uint8Array | Float32Array, width: number, height: number): Float32Array {
  const c = Float32Array.from(image);
  const z = Math.sqrt(3) - 2, gain = (1 - z) * (1 - 1 / z);
  const line = (start: number, step: number, n: number) => {
    if (n < 2) return;
    for (let i = 0; i < n; i++) c[start + i * step] *= gain;
    // The causal filter's first value for mirrored edges: the exact sum over the mirrored line on a
    // short one, else its first 24 terms (|z|^24 ≈ 2e-14 of the first).
    let sum = c[start];
    if (n < 24) {
      const last = c[start + (n - 1) * step];
      let zk = z;
      for (let k = 1; k < n - 1; k++, zk *= z) sum += (zk + z ** (2 * n - 2 - k)) * c[start + k * step];
      sum = (sum + zk * last) / (1 - z ** (2 * n - 2));
    } else {
      let zk = z;
      for (let k = 1; k < 24; k++, zk *= z) sum += zk * c[start + k * step];
    }
    c[start] = sum;
    for (let i = 1; i < n; i++) c[start + i * step] += z * c[start + (i - 1) * step];
    const last = start + (n - 1) * step;
    c[last] = (z / (z * z - 1)) * (z * c[last - step] + c[last]);
    for (let i = n - 2; i >= 0; i--) c[start + i * step] = z * (c[start + (i + 1) * step] - c[start + i * step]);
  };
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < height; y++) line(y * width * 3 + ch, 3, width);
    for (let x = 0; x < width; x++) line(x * 3 + ch, width * 3, height);
  }
  return c;
}

/** image(p + flow(p)) for every pixel p of a width x height RGB frame with the kernel `kind`, the flow resized as the stage's warp resizes it; edges clamped (mirrored for the interpolating B-spline, as its coefficients are). */
export function warpHistory(kind: HistoryKernel, image: Uint8Array | Float32Array, flow: Flow, width: number, height: number, into?: Float32Array): Float32Array {
  const source = kind === 'bspline' ? bsplineCoefficients(image, width, height) : image;
  const mirror = kind === 'bspline';
  const edge = (i: number, n: number) => (mirror ? (i < 0 ? Math.min(-i, n - 1) : i > n - 1 ? Math.max(2 * (n - 1) - i, 0) : i) : Math.min(Math.max(i, 0), n - 1));
  const resized = resizeFlow(flow, width, height).data;
  const n = tapCount(kind);
  const out = into?.length === width * height * 3 ? into : new Float32Array(width * height * 3);
  const wx = new Float64Array(6), wy = new Float64Array(6);
  for (let y = 0, p = 0; y < height; y++)
    for (let x = 0; x < width; x++, p++) {
      const sx = Math.min(Math.max(x + resized[2 * p], 0), width - 1), sy = Math.min(Math.max(y + resized[2 * p + 1], 0), height - 1);
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const ox = taps(kind, sx - x0, wx), oy = taps(kind, sy - y0, wy);
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < n; j++) {
        const row = edge(y0 + oy + j, height) * width;
        let rr = 0, gg = 0, bb = 0;
        for (let i = 0; i < n; i++) {
          const q = 3 * (row + edge(x0 + ox + i, width));
          rr += wx[i] * source[q];
          gg += wx[i] * source[q + 1];
          bb += wx[i] * source[q + 2];
        }
        r += wy[j] * rr;
        g += wy[j] * gg;
        b += wy[j] * bb;
      }
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  return out;
}

/** A warp whose output keeps `keep` of its fine band (each channel less its mean over the detail gain's window, 5x5): the history's strokes let go of at a set rate, whatever the displacement. */
export function withFineLeak(warp: HistoryWarp, keep: number): HistoryWarp {
  if (!(keep >= 0 && keep <= 1)) throw new RangeError(`the history keeps ${keep} of its fine band: give a share from 0 to 1`);
  const area = (2 * DETAIL_RADIUS + 1) ** 2;
  let mean: Float32Array | undefined;
  return (image: Uint8Array, flow: Flow, width: number, height: number, into?: Float32Array): Float32Array => {
    const out = warp(image, flow, width, height, into);
    if (mean?.length !== out.length) mean = new Float32Array(out.length);
    boxSum(out, width, height, DETAIL_RADIUS, mean, 3);
    for (let k = 0; k < out.length; k++) out[k] = mean[k] / area + keep * (out[k] - mean[k] / area);
    return out;
  };
}
