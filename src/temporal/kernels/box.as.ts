// The box sums as WebAssembly kernels: the same operations in the same order as the JavaScript they
// replace (test/helpers/box-reference.ts), in IEEE doubles, stored as float32, so the sums are the
// same to the bit (test/kernels.test.ts). Two lanes carry two neighbouring columns (the column
// sums carried down the rows) or, in an interleaved image, two channels (their running sums along
// the row); a running sum of one channel has an order and stays one at a time.

/**
 * Sums over (2r + 1)² windows of each channel of an interleaved float32 image, edges replicated, into
 * `out`: each column's sum over the window's rows carried from row to row, a running sum along them.
 * `columns` is scratch for width · channels + 2r · channels doubles.
 */
export function boxSum(src: usize, width: i32, height: i32, r: i32, out: usize, channels: i32, columns: usize): void {
  const span = 2 * r * channels, pad = r * channels, rowLength = width * channels;
  memory.fill(columns, 0, <usize>(rowLength + span) << 3);
  for (let y = -r; y <= r; y++) {
    const row = <usize>(min(max(y, 0), height - 1) * rowLength);
    for (let i = 0; i < rowLength; i++) {
      const c = columns + (<usize>(i + pad) << 3);
      store<f64>(c, load<f64>(c) + <f64>load<f32>(src + ((row + <usize>i) << 2)));
    }
  }
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < pad; j++) {
      store<f64>(columns + (<usize>j << 3), load<f64>(columns + (<usize>(pad + (j % channels)) << 3)));
      store<f64>(columns + (<usize>(pad + rowLength + j) << 3), load<f64>(columns + (<usize>(pad + rowLength - channels + (j % channels)) << 3)));
    }
    const rowStart = <usize>(y * rowLength);
    let c = 0;
    // lanes pair channels, not pixels: a channel's running sum along the row has an order
    for (; c + 1 < channels; c += 2) {
      let sum = f64x2.splat(0.0);
      for (let j = c; j < span; j += channels) sum = f64x2.add(sum, v128.load(columns + (<usize>j << 3)));
      for (let i = c; i < rowLength; i += channels) {
        sum = f64x2.add(sum, v128.load(columns + (<usize>(i + span) << 3)));
        v128.store64_lane(out + ((rowStart + <usize>i) << 2), f32x4.demote_f64x2_zero(sum), 0);
        sum = f64x2.sub(sum, v128.load(columns + (<usize>i << 3)));
      }
    }
    for (; c < channels; c++) {
      let sum = 0.0;
      for (let j = c; j < span; j += channels) sum += load<f64>(columns + (<usize>j << 3));
      for (let i = c; i < rowLength; i += channels) {
        sum += load<f64>(columns + (<usize>(i + span) << 3));
        store<f32>(out + ((rowStart + <usize>i) << 2), <f32>sum);
        sum -= load<f64>(columns + (<usize>i << 3));
      }
    }
    const entering = <usize>(min(y + r + 1, height - 1) * rowLength), leaving = <usize>(max(y - r, 0) * rowLength);
    let i = 0;
    for (; i + 1 < rowLength; i += 2) {
      const col = columns + (<usize>(i + pad) << 3);
      const d = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(src + ((entering + <usize>i) << 2))), f64x2.promote_low_f32x4(v128.load64_zero(src + ((leaving + <usize>i) << 2))));
      v128.store(col, f64x2.add(v128.load(col), d));
    }
    for (; i < rowLength; i++) {
      const col = columns + (<usize>(i + pad) << 3);
      store<f64>(col, load<f64>(col) + (<f64>load<f32>(src + ((entering + <usize>i) << 2)) - <f64>load<f32>(src + ((leaving + <usize>i) << 2))));
    }
  }
}

/**
 * boxSum of a single-channel image and of its squares (each square rounded to float32, as an array
 * of them would hold it) in one sweep. `columns` is scratch for 2 · (width + 2r) doubles.
 */
export function boxSumAndSquares(src: usize, width: i32, height: i32, r: i32, sums: usize, sumsOfSquares: usize, columns: usize): void {
  const span = 2 * r;
  const length = <usize>(width + span) << 3;
  const values = columns, squares = columns + length;
  memory.fill(columns, 0, 2 * length);
  for (let y = -r; y <= r; y++) {
    const row = <usize>(min(max(y, 0), height - 1) * width);
    for (let i = 0; i < width; i++) {
      const v = <f64>load<f32>(src + ((row + <usize>i) << 2));
      const c = <usize>(i + r) << 3;
      store<f64>(values + c, load<f64>(values + c) + v);
      store<f64>(squares + c, load<f64>(squares + c) + <f64><f32>(v * v));
    }
  }
  const first = <usize>r << 3, last = <usize>(r + width - 1) << 3;
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < r; j++) {
      const before = <usize>j << 3, after = last + (<usize>(j + 1) << 3);
      store<f64>(values + before, load<f64>(values + first)); store<f64>(squares + before, load<f64>(squares + first));
      store<f64>(values + after, load<f64>(values + last)); store<f64>(squares + after, load<f64>(squares + last));
    }
    let sum = 0.0, sumOfSquares = 0.0;
    for (let j = 0; j < span; j++) { sum += load<f64>(values + (<usize>j << 3)); sumOfSquares += load<f64>(squares + (<usize>j << 3)); }
    const rowStart = <usize>(y * width), ahead = <usize>span << 3;
    for (let i = 0; i < width; i++) {
      const c = <usize>i << 3, o = (rowStart + <usize>i) << 2;
      sum += load<f64>(values + c + ahead);
      sumOfSquares += load<f64>(squares + c + ahead);
      store<f32>(sums + o, <f32>sum);
      store<f32>(sumsOfSquares + o, <f32>sumOfSquares);
      sum -= load<f64>(values + c);
      sumOfSquares -= load<f64>(squares + c);
    }
    const entering = <usize>(min(y + r + 1, height - 1) * width), leaving = <usize>(max(y - r, 0) * width);
    let i = 0;
    for (; i + 1 < width; i += 2) {
      const c = <usize>(i + r) << 3;
      const vIn = f64x2.promote_low_f32x4(v128.load64_zero(src + ((entering + <usize>i) << 2))), vOut = f64x2.promote_low_f32x4(v128.load64_zero(src + ((leaving + <usize>i) << 2)));
      v128.store(values + c, f64x2.add(v128.load(values + c), f64x2.sub(vIn, vOut)));
      const sqIn = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.mul(vIn, vIn))), sqOut = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.mul(vOut, vOut)));
      v128.store(squares + c, f64x2.add(v128.load(squares + c), f64x2.sub(sqIn, sqOut)));
    }
    for (; i < width; i++) {
      const c = <usize>(i + r) << 3;
      const vIn = <f64>load<f32>(src + ((entering + <usize>i) << 2)), vOut = <f64>load<f32>(src + ((leaving + <usize>i) << 2));
      store<f64>(values + c, load<f64>(values + c) + (vIn - vOut));
      store<f64>(squares + c, load<f64>(squares + c) + (<f64><f32>(vIn * vIn) - <f64><f32>(vOut * vOut)));
    }
  }
}
