// The SSIM floor's similarity sweep (blend-weights.ts, meanSimilarity) as a WebAssembly kernel:
// the same operations in the same order as the JavaScript it replaces, in IEEE doubles, so the
// result is the same to the bit (test/kernels.test.ts). Two lanes carry two neighbouring columns
// (the column sums carried down the rows) or two neighbouring pixels (the SSIM of their windows),
// and the sums along a row, which have an order, stay one at a time.

/**
 * Mean SSIM (Wang et al. 2004) of `out` − `shift` to `own` over (2r + 1)² windows, edges
 * replicated, given `own`'s window sums and sums of squares: column sums of the output, of its
 * square and of its product with `own` carried from row to row, running sums along them.
 * `columns` is scratch for 3 · (width + 2r) doubles. c1, c2: SSIM's constants, as the caller
 * computes them.
 */
export function meanSimilarity(out: usize, own: usize, ownSums: usize, ownSumsOfSquares: usize, width: i32, height: i32, r: i32, shift: f64, c1: f64, c2: f64, columns: usize): f64 {
  const span = 2 * r;
  const perArea: f64 = 1 / <f64>((span + 1) * (span + 1));
  const length = <usize>(width + span) << 3;
  const o = columns, oo = o + length, so = oo + length;
  memory.fill(columns, 0, 3 * length);
  for (let y = -r; y <= r; y++) {
    const row = <usize>(min(max(y, 0), height - 1) * width);
    for (let x = 0; x < width; x++) {
      const at = (row + <usize>x) << 2, column = <usize>(x + r) << 3;
      const v = <f64>load<f32>(out + at) - shift;
      store<f64>(o + column, load<f64>(o + column) + v);
      store<f64>(oo + column, load<f64>(oo + column) + v * v);
      store<f64>(so + column, load<f64>(so + column) + v * <f64>load<f32>(own + at));
    }
  }
  const shifts = f64x2.splat(shift), perAreas = f64x2.splat(perArea), twos = f64x2.splat(2.0), c1s = f64x2.splat(c1), c2s = f64x2.splat(c2);
  const first = <usize>r << 3, last = <usize>(r + width - 1) << 3, ahead = <usize>span << 3;
  let total = 0.0;
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < r; j++) {
      const before = <usize>j << 3, after = last + (<usize>(j + 1) << 3);
      store<f64>(o + before, load<f64>(o + first)); store<f64>(oo + before, load<f64>(oo + first)); store<f64>(so + before, load<f64>(so + first));
      store<f64>(o + after, load<f64>(o + last)); store<f64>(oo + after, load<f64>(oo + last)); store<f64>(so + after, load<f64>(so + last));
    }
    let a = 0.0, b = 0.0, c = 0.0;
    for (let j = 0; j < span; j++) {
      const column = <usize>j << 3;
      a += load<f64>(o + column); b += load<f64>(oo + column); c += load<f64>(so + column);
    }
    const rowStart = <usize>(y * width);
    let x = 0;
    // Two pixels at a time: their windows' sums one after the other, their SSIM in two lanes.
    for (; x + 1 < width; x += 2) {
      const column = <usize>x << 3;
      a += load<f64>(o + column + ahead); b += load<f64>(oo + column + ahead); c += load<f64>(so + column + ahead);
      const a0 = a, b0 = b, c0 = c;
      a -= load<f64>(o + column); b -= load<f64>(oo + column); c -= load<f64>(so + column);
      a += load<f64>(o + column + ahead, 8); b += load<f64>(oo + column + ahead, 8); c += load<f64>(so + column + ahead, 8);
      const sums = f64x2(a0, a), squares = f64x2(b0, b), products = f64x2(c0, c);
      a -= load<f64>(o + column, 8); b -= load<f64>(oo + column, 8); c -= load<f64>(so + column, 8);
      const at = (rowStart + <usize>x) << 2;
      const meanS = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(ownSums + at)), perAreas), meanO = f64x2.mul(sums, perAreas);
      const varS = f64x2.sub(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(ownSumsOfSquares + at)), perAreas), f64x2.mul(meanS, meanS));
      const varO = f64x2.sub(f64x2.mul(squares, perAreas), f64x2.mul(meanO, meanO));
      const cov = f64x2.sub(f64x2.mul(products, perAreas), f64x2.mul(meanS, meanO));
      const ssim = f64x2.div(
        f64x2.mul(f64x2.add(f64x2.mul(f64x2.mul(twos, meanS), meanO), c1s), f64x2.add(f64x2.mul(twos, cov), c2s)),
        f64x2.mul(f64x2.add(f64x2.add(f64x2.mul(meanS, meanS), f64x2.mul(meanO, meanO)), c1s), f64x2.add(f64x2.add(varS, varO), c2s)),
      );
      total += f64x2.extract_lane(ssim, 0);
      total += f64x2.extract_lane(ssim, 1);
    }
    for (; x < width; x++) {
      const column = <usize>x << 3;
      a += load<f64>(o + column + ahead); b += load<f64>(oo + column + ahead); c += load<f64>(so + column + ahead);
      const at = (rowStart + <usize>x) << 2;
      const meanS = <f64>load<f32>(ownSums + at) * perArea, meanO = a * perArea;
      const varS = <f64>load<f32>(ownSumsOfSquares + at) * perArea - meanS * meanS, varO = b * perArea - meanO * meanO, cov = c * perArea - meanS * meanO;
      total += ((2 * meanS * meanO + c1) * (2 * cov + c2)) / ((meanS * meanS + meanO * meanO + c1) * (varS + varO + c2));
      a -= load<f64>(o + column); b -= load<f64>(oo + column); c -= load<f64>(so + column);
    }
    // The next row's column sums: a row enters the windows, one leaves; two columns at a time.
    const entering = <usize>(min(y + r + 1, height - 1) * width), leaving = <usize>(max(y - r, 0) * width);
    x = 0;
    for (; x + 1 < width; x += 2) {
      const inAt = (entering + <usize>x) << 2, outAt = (leaving + <usize>x) << 2, column = <usize>(x + r) << 3;
      const vIn = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(out + inAt)), shifts), vOut = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(out + outAt)), shifts);
      v128.store(o + column, f64x2.add(v128.load(o + column), f64x2.sub(vIn, vOut)));
      v128.store(oo + column, f64x2.add(v128.load(oo + column), f64x2.sub(f64x2.mul(vIn, vIn), f64x2.mul(vOut, vOut))));
      const ownIn = f64x2.promote_low_f32x4(v128.load64_zero(own + inAt)), ownOut = f64x2.promote_low_f32x4(v128.load64_zero(own + outAt));
      v128.store(so + column, f64x2.add(v128.load(so + column), f64x2.sub(f64x2.mul(vIn, ownIn), f64x2.mul(vOut, ownOut))));
    }
    for (; x < width; x++) {
      const inAt = (entering + <usize>x) << 2, outAt = (leaving + <usize>x) << 2, column = <usize>(x + r) << 3;
      const vIn = <f64>load<f32>(out + inAt) - shift, vOut = <f64>load<f32>(out + outAt) - shift;
      store<f64>(o + column, load<f64>(o + column) + (vIn - vOut));
      store<f64>(oo + column, load<f64>(oo + column) + (vIn * vIn - vOut * vOut));
      store<f64>(so + column, load<f64>(so + column) + (vIn * <f64>load<f32>(own + inAt) - vOut * <f64>load<f32>(own + outAt)));
    }
  }
  return total / <f64>(width * height);
}
