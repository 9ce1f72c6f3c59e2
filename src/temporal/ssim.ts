// The mean of SSIM's map (Wang et al. 2004) from window sums, shared by the metrics' SSIM and the
// temporal stage's style floor, which keep their own windows and sums.

/** Window sums of two images a and b, and of a², b² and a·b, over windows of `area` pixels. */
export interface WindowSums {
  a: Float32Array;
  b: Float32Array;
  aa: Float32Array;
  bb: Float32Array;
  ab: Float32Array;
}

/** Mean SSIM over the pixels, for intensities from 0 to `range` (1 or 255). */
export function meanSsim(sums: WindowSums, area: number, range: number): number {
  const { a, b, aa, bb, ab } = sums;
  const c1 = (0.01 * range) ** 2, c2 = (0.03 * range) ** 2;
  const perArea = 1 / area;
  let total = 0;
  for (let k = 0; k < a.length; k++) {
    const ma = a[k] * perArea, mb = b[k] * perArea;
    const va = aa[k] * perArea - ma * ma, vb = bb[k] * perArea - mb * mb, cov = ab[k] * perArea - ma * mb;
    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  return total / a.length;
}
