// Image operations the temporal stage and its flows share: grey images, bilinear samples, box
// sums, halving and the taps of a bilinear resize.

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

/** Column sums carried down the rows by boxSum, with r replicated edge columns each side; kept from call to call. */
let columnSums = new Float64Array(0);

/**
 * Sum over a (2r+1)² window, edges replicated, in one sweep down the rows: each column's sum over
 * the window's rows is carried from row to row (a row entering, one leaving), and a running sum
 * along those column sums gives the row's windows. The column sums are padded with their edge
 * values, so the running sum needs no clamping. With `channels` > 1, of each channel of an
 * interleaved image.
 */
export function boxSum(src: Float32Array, width: number, height: number, r: number, out: Float32Array, channels = 1): void {
  const span = 2 * r * channels, pad = r * channels, rowLength = width * channels;
  if (columnSums.length < rowLength + span) columnSums = new Float64Array(rowLength + span);
  const columns = columnSums;
  columns.fill(0, 0, rowLength + span);
  for (let y = -r; y <= r; y++) {
    const row = Math.min(Math.max(y, 0), height - 1) * rowLength;
    for (let i = 0; i < rowLength; i++) columns[i + pad] += src[row + i];
  }
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < pad; j++) {
      columns[j] = columns[pad + (j % channels)];
      columns[pad + rowLength + j] = columns[pad + rowLength - channels + (j % channels)];
    }
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let j = c; j < span; j += channels) sum += columns[j];
      for (let i = c, row = y * rowLength; i < rowLength; i += channels) {
        sum += columns[i + span];
        out[row + i] = sum;
        sum -= columns[i];
      }
    }
    const entering = Math.min(y + r + 1, height - 1) * rowLength, leaving = Math.max(y - r, 0) * rowLength;
    for (let i = 0; i < rowLength; i++) columns[i + pad] += src[entering + i] - src[leaving + i];
  }
}


/** Column sums of values and of their squares carried down the rows by boxSumAndSquares; kept from call to call. */
let valueColumns = new Float64Array(0);
let squareColumns = new Float64Array(0);

/**
 * boxSum of a single-channel image and of its squares (each rounded to float32, as an array of
 * squares would hold it: the same sums as two boxSum calls) in one sweep, with no array of squares.
 */
export function boxSumAndSquares(src: Float32Array, width: number, height: number, r: number, sums: Float32Array, sumsOfSquares: Float32Array): void {
  const span = 2 * r;
  if (valueColumns.length < width + span) [valueColumns, squareColumns] = [new Float64Array(width + span), new Float64Array(width + span)];
  const values = valueColumns, squares = squareColumns;
  values.fill(0, 0, width + span);
  squares.fill(0, 0, width + span);
  for (let y = -r; y <= r; y++) {
    const row = Math.min(Math.max(y, 0), height - 1) * width;
    for (let i = 0; i < width; i++) {
      const v = src[row + i];
      values[i + r] += v;
      squares[i + r] += Math.fround(v * v);
    }
  }
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < r; j++) {
      values[j] = values[r];
      squares[j] = squares[r];
      values[r + width + j] = values[r + width - 1];
      squares[r + width + j] = squares[r + width - 1];
    }
    let sum = 0, sumOfSquares = 0;
    for (let j = 0; j < span; j++) {
      sum += values[j];
      sumOfSquares += squares[j];
    }
    for (let i = 0, o = y * width; i < width; i++, o++) {
      sum += values[i + span];
      sumOfSquares += squares[i + span];
      sums[o] = sum;
      sumsOfSquares[o] = sumOfSquares;
      sum -= values[i];
      sumOfSquares -= squares[i];
    }
    const entering = Math.min(y + r + 1, height - 1) * width, leaving = Math.max(y - r, 0) * width;
    for (let i = 0; i < width; i++) {
      const vIn = src[entering + i], vOut = src[leaving + i];
      values[i + r] += vIn - vOut;
      squares[i + r] += Math.fround(vIn * vIn) - Math.fround(vOut * vOut);
    }
  }
}

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
