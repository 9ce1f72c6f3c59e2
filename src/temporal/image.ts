// Image operations the temporal stage and its flows share: grey images, bilinear samples, box
// sums, halving and the taps of a bilinear resize.
import { boxSum } from './kernels/index.js';

export interface Gray {
  width: number;
  height: number;
  data: Float32Array; // 0..1
}

/** A dense flow: for every pixel p of a, the displacement d with a(p) ≈ b(p + d). */
export interface Flow {
  width: number;
  height: number;
  /** interleaved (dx, dy) per pixel */
  data: Float32Array;
}

export function toGray(rgb: Uint8Array, width: number, height: number): Gray {
  const data = new Float32Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 3) data[i] = (0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2]) / 255;
  return { width, height, data };
}

/** Halves an image with a 2x2 box (odd edges folded in). */
export function halve(image: Gray): Gray {
  const width = Math.max(1, image.width >> 1);
  const height = Math.max(1, image.height >> 1);
  const data = new Float32Array(width * height);
  const src = image.data;
  const w = image.width;
  for (let y = 0; y < height; y++) {
    const y0 = Math.min(2 * y, image.height - 1);
    const y1 = Math.min(2 * y + 1, image.height - 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.min(2 * x, w - 1);
      const x1 = Math.min(2 * x + 1, w - 1);
      data[y * width + x] = 0.25 * (src[y0 * w + x0] + src[y0 * w + x1] + src[y1 * w + x0] + src[y1 * w + x1]);
    }
  }
  return { width, height, data };
}

/** Bilinear sample with clamped edges. */
export function sample(data: Float32Array | Uint8Array, width: number, height: number, channels: number, x: number, y: number, c: number): number {
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const a = data[(y0 * width + x0) * channels + c];
  const b = data[(y0 * width + x1) * channels + c];
  const d = data[(y1 * width + x0) * channels + c];
  const e = data[(y1 * width + x1) * channels + c];
  return (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
}

/** The box sums, over (2r + 1)² windows with edges replicated: WebAssembly kernels (kernels/box.as.ts). */
export { boxSum, boxSumAndSquares } from './kernels/index.js';

/** Where each output coordinate samples a grid `from` cells long when resized to `to` (half-pixel centres, edges clamped). */
export function resizeTaps(from: number, to: number): { low: Int32Array; high: Int32Array; weight: Float32Array } {
  const low = new Int32Array(to), high = new Int32Array(to), weight = new Float32Array(to);
  for (let k = 0; k < to; k++) {
    const at = Math.min(Math.max(((k + 0.5) * from) / to - 0.5, 0), from - 1);
    low[k] = Math.floor(at);
    high[k] = Math.min(low[k] + 1, from - 1);
    weight[k] = at - low[k];
  }
  return { low, high, weight };
}

/** PSNR in dB of two 8-bit images of the same size (99 where they are identical). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum === 0 ? 99 : 10 * Math.log10((255 * 255 * a.length) / sum);
}

/** The luma of an RGB frame less its mean over a (2r+1)² window, into `into` (`mean` is scratch). */
export function fineLuma(rgb: Uint8Array, width: number, height: number, r: number, into: Float32Array, mean: Float32Array): Float32Array {
  const n = width * height;
  for (let k = 0, i = 0; k < n; k++, i += 3) into[k] = 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
  boxSum(into, width, height, r, mean);
  const per = 1 / (2 * r + 1) ** 2;
  for (let k = 0; k < n; k++) into[k] -= mean[k] * per;
  return into;
}
