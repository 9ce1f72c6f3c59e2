// Stroke scale's two resamplings: the frame brought down to the network's size by area averaging,
// and the network's output brought back up by joint bilateral upsampling (Kopf et al. 2007),
// guided by the full-size frame's luma so that edges fall where the footage has them
// (docs/controls.md: why not the guided filter).
import type { RgbFrame } from '../frame.js';

/** Spread of the range weight, in 8-bit luma steps: taps across an edge weigh next to nothing. */
export const RANGE_SIGMA = 16;

/** The weight of a luma difference 0..255. */
const RANGE_WEIGHTS = Float64Array.from({ length: 256 }, (_, d) => Math.exp(-(d * d) / (2 * RANGE_SIGMA * RANGE_SIGMA)));

/** Luma as BT.601 weighs it, rounded to 0..255. */
export const lumaAt = (data: Uint8Array, i: number): number => Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);

/**
 * Each output cell's shares of the input cells it covers along one axis, n cells onto m: cell o
 * takes `count[o]` cells from `first[o]`, with weights at `weight[o * width ..]`.
 */
function areaTaps(n: number, m: number): { first: Int32Array; count: Int32Array; weight: Float64Array; width: number } {
  const step = n / m, width = Math.ceil(step) + 1;
  const first = new Int32Array(m), count = new Int32Array(m), weight = new Float64Array(m * width);
  for (let o = 0; o < m; o++) {
    const from = o * step, to = from + step;
    first[o] = Math.floor(from);
    for (let i = first[o]; i < Math.min(n, Math.ceil(to)); i++) {
      const share = Math.min(to, i + 1) - Math.max(from, i);
      if (share > 1e-9) weight[o * width + count[o]++] = share / step;
      else if (count[o] === 0) first[o]++;
    }
  }
  return { first, count, weight, width };
}

/** The frame at width x height (smaller), each pixel the mean of the area it covers. */
export function areaDownscale(frame: RgbFrame, width: number, height: number): RgbFrame {
  const { width: W, height: H, data } = frame;
  const across = areaTaps(W, width), down = areaTaps(H, height);
  const rows = new Float64Array(width * H * 3);
  for (let y = 0; y < H; y++) {
    const line = y * W * 3;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      const weights = x * across.width;
      for (let t = 0, k = line + across.first[x] * 3; t < across.count[x]; t++, k += 3) {
        const w = across.weight[weights + t];
        r += w * data[k]; g += w * data[k + 1]; b += w * data[k + 2];
      }
      const o = (y * width + x) * 3;
      rows[o] = r; rows[o + 1] = g; rows[o + 2] = b;
    }
  }
  const out = new Uint8Array(width * height * 3);
  const stride = width * 3, sum = new Float64Array(stride);
  for (let y = 0; y < height; y++) {
    sum.fill(0);
    for (let t = 0; t < down.count[y]; t++) {
      const w = down.weight[y * down.width + t], from = (down.first[y] + t) * stride;
      for (let i = 0; i < stride; i++) sum[i] += w * rows[from + i];
    }
    const o = y * stride;
    for (let i = 0; i < stride; i++) out[o + i] = Math.round(sum[i]);
  }
  return { index: frame.index, width, height, data: out };
}

/** Along one axis, for each of m output cells, the two input cells below and above its centre and the weight of the upper one (half-pixel centres, edges clamped). */
function bilinearTaps(n: number, m: number): { low: Int32Array; high: Int32Array; t: Float64Array } {
  const low = new Int32Array(m), high = new Int32Array(m), t = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    const u = Math.min(Math.max((o + 0.5) * (n / m) - 0.5, 0), n - 1);
    low[o] = Math.floor(u);
    high[o] = Math.min(low[o] + 1, n - 1);
    t[o] = u - low[o];
  }
  return { low, high, t };
}

/**
 * `small` (the network's output) brought to `guide`'s size: each pixel the mean of its four
 * nearest small pixels, weighed bilinearly and by how close `smallGuide`'s luma there is to the
 * guide's here; plain bilinear where all four are far.
 */
export function jointBilateralUpsample(small: RgbFrame, smallGuide: RgbFrame, guide: RgbFrame): RgbFrame {
  const { width: w, height: h } = small;
  const { width: W, height: H, data: full } = guide;
  const across = bilinearTaps(w, W), down = bilinearTaps(h, H);
  const smallLuma = new Uint8Array(w * h);
  for (let k = 0; k < w * h; k++) smallLuma[k] = lumaAt(smallGuide.data, 3 * k);
  const out = new Uint8Array(W * H * 3);
  const s = small.data;
  const taps = new Int32Array(4), weights = new Float64Array(4);
  for (let y = 0; y < H; y++) {
    const ty = down.t[y], rowLow = down.low[y] * w, rowHigh = down.high[y] * w;
    for (let x = 0; x < W; x++) {
      const tx = across.t[x];
      const o = (y * W + x) * 3;
      const luma = lumaAt(full, o);
      taps[0] = rowLow + across.low[x]; taps[1] = rowLow + across.high[x];
      taps[2] = rowHigh + across.low[x]; taps[3] = rowHigh + across.high[x];
      const spatial0 = (1 - tx) * (1 - ty), spatial1 = tx * (1 - ty), spatial2 = (1 - tx) * ty, spatial3 = tx * ty;
      weights[0] = spatial0 * RANGE_WEIGHTS[Math.abs(luma - smallLuma[taps[0]])];
      weights[1] = spatial1 * RANGE_WEIGHTS[Math.abs(luma - smallLuma[taps[1]])];
      weights[2] = spatial2 * RANGE_WEIGHTS[Math.abs(luma - smallLuma[taps[2]])];
      weights[3] = spatial3 * RANGE_WEIGHTS[Math.abs(luma - smallLuma[taps[3]])];
      let total = weights[0] + weights[1] + weights[2] + weights[3];
      if (total < 1e-6) {
        weights[0] = spatial0; weights[1] = spatial1; weights[2] = spatial2; weights[3] = spatial3;
        total = 1;
      }
      for (let c = 0; c < 3; c++) {
        const v = weights[0] * s[3 * taps[0] + c] + weights[1] * s[3 * taps[1] + c] + weights[2] * s[3 * taps[2] + c] + weights[3] * s[3 * taps[3] + c];
        out[o + c] = Math.round(v / total);
      }
    }
  }
  return { index: guide.index, width: W, height: H, data: out };
}

/** Plain bilinear upsampling (half-pixel centres, edges clamped): what docs/controls.md compares against. */
export function bilinearUpsample(small: RgbFrame, width: number, height: number): RgbFrame {
  const grey = { ...small, data: new Uint8Array(small.data.length) };
  return jointBilateralUpsample(small, grey, { index: small.index, width, height, data: new Uint8Array(width * height * 3) });
}
