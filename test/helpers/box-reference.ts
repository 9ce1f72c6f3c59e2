// The box sums as they were written in JavaScript before their WebAssembly kernels
// (src/temporal/kernels/box.as.ts): the references the kernels must match to the bit: the stage's,
// the same sweeps, each call with column sums of its own.

/**
 * Sum over a (2r+1)² window, edges replicated, in one sweep down the rows: each column's sum over
 * the window's rows is carried from row to row (a row entering, one leaving), and a running sum
 * along those column sums gives the row's windows. The column sums are padded with their edge
 * values, so the running sum needs no clamping. With `channels` > 1, of each channel of an
 * interleaved image.
 */
export function boxSumReference(src: Float32Array, width: number, height: number, r: number, out: Float32Array, channels = 1): void {
  const span = 2 * r * channels, pad = r * channels, rowLength = width * channels;
  const columns = new Float64Array(rowLength + span);
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


/**
 * boxSum of a single-channel image and of its squares (each rounded to float32, as an array of
 * squares would hold it: the same sums as two boxSum calls) in one sweep, with no array of squares.
 */
export function boxSumAndSquaresReference(src: Float32Array, width: number, height: number, r: number, sums: Float32Array, sumsOfSquares: Float32Array): void {
  const span = 2 * r;
  const values = new Float64Array(width + span), squares = new Float64Array(width + span);
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
