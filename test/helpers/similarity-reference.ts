// The SSIM floor's similarity sweep as it was written in JavaScript before its WebAssembly kernel
// (src/temporal/kernels/similarity.as.ts): the reference the kernel must match to the bit.

/** Mean SSIM of out − shift to own over (2r + 1)² windows, edges replicated, from own's window sums (sums) and sums of squares (sumsOfSquares). */
export function meanSimilarityReference(out: Float32Array, own: Float32Array, sums: Float32Array, sumsOfSquares: Float32Array, width: number, height: number, r: number, shift: number): number {
  const c1 = (0.01 * 255) ** 2, c2 = (0.03 * 255) ** 2;
  const span = 2 * r, perArea = 1 / (span + 1) ** 2;
  const o = new Float64Array(width + span), oo = new Float64Array(width + span), so = new Float64Array(width + span);
  for (let y = -r; y <= r; y++) {
    const row = Math.min(Math.max(y, 0), height - 1) * width;
    for (let x = 0; x < width; x++) {
      const v = out[row + x] - shift;
      o[x + r] += v; oo[x + r] += v * v; so[x + r] += v * own[row + x];
    }
  }
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < r; j++) {
      o[j] = o[r]; oo[j] = oo[r]; so[j] = so[r];
      const edge = r + width - 1;
      o[edge + 1 + j] = o[edge]; oo[edge + 1 + j] = oo[edge]; so[edge + 1 + j] = so[edge];
    }
    let a = 0, b = 0, c = 0;
    for (let j = 0; j < span; j++) { a += o[j]; b += oo[j]; c += so[j]; }
    for (let x = 0, k = y * width; x < width; x++, k++) {
      a += o[x + span]; b += oo[x + span]; c += so[x + span];
      const meanS = sums[k] * perArea, meanO = a * perArea;
      const varS = sumsOfSquares[k] * perArea - meanS * meanS, varO = b * perArea - meanO * meanO, cov = c * perArea - meanS * meanO;
      total += ((2 * meanS * meanO + c1) * (2 * cov + c2)) / ((meanS * meanS + meanO * meanO + c1) * (varS + varO + c2));
      a -= o[x]; b -= oo[x]; c -= so[x];
    }
    const entering = Math.min(y + r + 1, height - 1) * width, leaving = Math.max(y - r, 0) * width;
    for (let x = 0; x < width; x++) {
      const vIn = out[entering + x] - shift, vOut = out[leaving + x] - shift;
      o[x + r] += vIn - vOut;
      oo[x + r] += vIn * vIn - vOut * vOut;
      so[x + r] += vIn * own[entering + x] - vOut * own[leaving + x];
    }
  }
  return total / (width * height);
}
