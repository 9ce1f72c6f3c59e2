// How much of the warped previous output each pixel takes. A flat weight trades style for
// stability at the same rate everywhere; this one spends it where it buys the most stability for
// the least loss of the style's structure.
//
// With output o = s + w·d (s the new stylization, d = warped − s), a window's flicker left is
// (1 − w)²·E[d²], while its structural similarity to s (SSIM's contrast-structure term) loses about
// w²·var(d) / (2·var(s) + C2). Minimising flicker + λ·loss gives
//     w = strength · E[d²] / (E[d²] + λ · var(d) / (2·var(s) + C2)):
// high where the difference is a shift of the whole window or small beside the style's own
// contrast (strokes survive it), low where it would redraw a flat patch's structure.
import { boxSum } from './flow.js';

/** Window radius of the weights' local statistics: 7x7 at full size. */
const RADIUS = 3;
/** SSIM's stabilising constant for (co)variances, (0.03·255)². */
const C2 = (0.03 * 255) ** 2;
/** Window radius of `similarity`: 5x5. */
const SIMILARITY_RADIUS = 2;
/**
 * Price of structure against flicker where each frame starts; the stage raises it for a frame that
 * would fall under its style floor (index.ts). Chosen with the floor, on the real footage in
 * ../shared/media/footage with the independent judge: from 250 with a floor of 0.9 the stage sat
 * at 0.69–1.01 of the plain blend's flicker, from 400 with 0.885 at 0.71–1.06, from 700 with
 * 0.875 at 0.74–1.03, every clip keeping SSIM ≥ 0.85. Alone, without the floor, 700 was the
 * lowest that kept the static bottles shot near 0.85 (0.835). See README, Temporal consistency.
 */
export const STRUCTURE_PRICE = 250;

/**
 * The difference's low band (its mean over 9x9 windows, edges replicated) is blended apart from
 * the rest, by one weight everywhere (index.ts, LOW_BAND_WEIGHT): a slow change of colour over a
 * region (the flicker of painterly styles with broad, smooth strokes) is mostly the window's
 * mean, which costs SSIM little, while the formula above, judging the whole difference, blends
 * such a region as little as it blends texture. See README, Temporal consistency.
 */
export const LOW_BAND_RADIUS = 4;

/** Buffers for one frame size, reused from frame to frame. */
export class BlendWeights {
  private readonly luma: Float32Array;
  private readonly ownLuma: Float32Array;
  private readonly difference: Float32Array;
  private readonly outLuma: Float32Array;
  private readonly squares: Float32Array;
  private readonly sums: Float32Array[];
  /** per pixel, the terms of the weight that do not depend on the price: E[d²] (+ 1e-3), and var(d) / (2·var(s) + C2) */
  private readonly energy: Float64Array;
  private readonly structureCost: Float64Array;
  /** the stylized frame's luma and its square summed over similarity's windows, once per `measure` or `compare` */
  private readonly ownSums: [Float32Array, Float32Array];
  private ownSummed = false;
  /** whether the difference and the weight's terms are the last `measure`'s (a `compare` since leaves them stale) */
  private measured = false;
  /** column sums of similarity's sweep, edge columns replicated either side */
  private readonly columns: Float64Array[];
  /** what `weights` holds since the last `measure`: the floor's search ends where it may have weighed last */
  private weighed?: { strength: number; price: number };
  readonly weights: Float32Array;
  /** the low band of the luma difference (its 9x9 mean), blended by `lowWeight` */
  private readonly lowDifference: Float32Array;
  /** each channel's difference (warped − target), and its low band, interleaved as the frame is */
  private readonly channelDifference: Float32Array;
  private readonly channelLow: Float32Array;

  /** `lowWeight`: the share of the difference's low band every trusted pixel takes (0: no band of its own) */
  constructor(readonly width: number, readonly height: number, readonly lowWeight = 0) {
    const n = width * height;
    this.luma = new Float32Array(n);
    this.ownLuma = new Float32Array(n);
    this.difference = new Float32Array(n);
    this.outLuma = new Float32Array(n);
    this.squares = new Float32Array(n);
    this.sums = Array.from({ length: 4 }, () => new Float32Array(n));
    this.energy = new Float64Array(n);
    this.structureCost = new Float64Array(n);
    this.ownSums = [new Float32Array(n), new Float32Array(n)];
    this.columns = Array.from({ length: 3 }, () => new Float64Array(width + 2 * SIMILARITY_RADIUS));
    this.weights = new Float32Array(n);
    this.lowDifference = new Float32Array(n);
    this.channelDifference = new Float32Array(lowWeight > 0 ? 3 * n : 0);
    this.channelLow = new Float32Array(lowWeight > 0 ? 3 * n : 0);
  }

  /** What `blend` needs to blend the low band apart, from the last `measure`: none without a band of its own. */
  band(): { weight: number; low: Float32Array } | undefined {
    if (!this.measured) throw new Error('BlendWeights.band needs a measure after a compare');
    return this.lowWeight > 0 ? { weight: this.lowWeight, low: this.channelLow } : undefined;
  }

  /**
   * The window statistics of `target` (what `warped` is blended into: the stylized frame, or it
   * mixed with the next one's) and of its difference to `warped`, for `at`; and the stylized frame's
   * own luma, which `similarity` measures against.
   */
  measure(stylized: Uint8Array, warped: Float32Array, target: Uint8Array = stylized): void {
    const { width, height, luma, difference, squares } = this;
    const n = width * height;
    this.lumaOf(stylized, target, warped);
    this.measured = true;
    const [sumS, sumSS, sumD, sumDD] = this.sums;
    boxSum(luma, width, height, RADIUS, sumS);
    for (let k = 0; k < n; k++) squares[k] = luma[k] * luma[k];
    boxSum(squares, width, height, RADIUS, sumSS);
    boxSum(difference, width, height, RADIUS, sumD);
    for (let k = 0; k < n; k++) squares[k] = difference[k] * difference[k];
    boxSum(squares, width, height, RADIUS, sumDD);
    if (this.lowWeight > 0) {
      // per channel, for the blend (lumaOf wrote the channels' differences); the luma's is their
      // mix, as luma is linear
      const { channelDifference, channelLow, lowDifference } = this;
      boxSum(channelDifference, width, height, LOW_BAND_RADIUS, channelLow, 3);
      const perLowArea = 1 / (2 * LOW_BAND_RADIUS + 1) ** 2;
      for (let k = 0, i = 0; k < n; k++, i += 3) {
        const r = (channelLow[i] *= perLowArea), g = (channelLow[i + 1] *= perLowArea), b = (channelLow[i + 2] *= perLowArea);
        lowDifference[k] = 0.299 * r + 0.587 * g + 0.114 * b;
      }
    }
    const perArea = 1 / (2 * RADIUS + 1) ** 2;
    for (let k = 0; k < n; k++) {
      const meanS = sumS[k] * perArea, meanD = sumD[k] * perArea;
      const varS = Math.max(0, sumSS[k] * perArea - meanS * meanS);
      const energyD = sumDD[k] * perArea + 1e-3; // no difference at all: any weight is as good, keep the most
      this.energy[k] = energyD;
      this.structureCost[k] = Math.max(0, energyD - meanD * meanD) / (2 * varS + C2);
    }
  }

  /**
   * The target's own structural similarity to the stylized frame, as `similarity` measures it, without
   * the window statistics a blend needs: whether a look-ahead mix holds the style floor at all, for
   * less than a `measure`. `at` then wants a new `measure`.
   */
  compare(stylized: Uint8Array, target: Uint8Array): number {
    this.lumaOf(stylized, target);
    return this.similarity();
  }

  /**
   * The luma of the target, of the stylized frame and, with `warped`, of their difference (and,
   * with a low band of its own, each channel's difference, in the same pass over the frames).
   */
  private lumaOf(stylized: Uint8Array, target: Uint8Array, warped?: Float32Array): void {
    const { luma, ownLuma, difference, channelDifference } = this;
    const channels = warped && this.lowWeight > 0;
    for (let k = 0, i = 0, n = this.width * this.height; k < n; k++, i += 3) {
      const s = 0.299 * target[i] + 0.587 * target[i + 1] + 0.114 * target[i + 2];
      luma[k] = s;
      ownLuma[k] = target === stylized ? s : 0.299 * stylized[i] + 0.587 * stylized[i + 1] + 0.114 * stylized[i + 2];
      if (warped) difference[k] = 0.299 * warped[i] + 0.587 * warped[i + 1] + 0.114 * warped[i + 2] - s;
      if (channels) {
        channelDifference[i] = warped[i] - target[i];
        channelDifference[i + 1] = warped[i + 1] - target[i + 1];
        channelDifference[i + 2] = warped[i + 2] - target[i + 2];
      }
    }
    this.ownSummed = false;
    this.measured = false;
    this.weighed = undefined;
  }

  /** The weight of `warped` at every pixel, at most `strength`, at a price, from the statistics of the last `measure`. */
  at(strength: number, price = STRUCTURE_PRICE): Float32Array {
    const { width, height, weights, energy, structureCost } = this;
    if (!this.measured) throw new Error('BlendWeights.at needs a measure after a compare');
    if (this.weighed?.strength === strength && this.weighed.price === price) return weights;
    this.weighed = { strength, price };
    for (let k = 0, n = width * height; k < n; k++) weights[k] = (strength * energy[k]) / (energy[k] + price * structureCost[k]);
    return weights;
  }

  /**
   * The mean structural similarity (SSIM, Wang et al. 2004) to the stylized frame of the last
   * `measure` (or `compare`, without a weight) that the target's blend with `warped` by `weight` · `trust` (and its low band by `lowWeight` · `trust`) would have (luma, each
   * channel's mean moved to the stylized frame's as `blend` moves it, before rounding and clamping), over 5x5 windows with edges replicated: the box
   * with the spread of SSIM's usual 11-tap Gaussian (σ 1.5). Computed on luma alone, which is linear
   * in the blend, so that trying a price costs no blend. Without a weight, the target's own.
   */
  similarity(weight?: Float32Array, trust?: Float32Array): number {
    if (weight && !this.measured) throw new Error('BlendWeights.similarity of a blend needs a measure after a compare');
    const { width, height, luma, ownLuma, outLuma, difference, lowDifference, lowWeight, squares } = this;
    const n = width * height;
    if (!this.ownSummed) {
      this.ownSummed = true;
      boxSum(ownLuma, width, height, SIMILARITY_RADIUS, this.ownSums[0]);
      for (let k = 0; k < n; k++) squares[k] = ownLuma[k] * ownLuma[k];
      boxSum(squares, width, height, SIMILARITY_RADIUS, this.ownSums[1]);
    }
    let moved = 0;
    for (let k = 0; k < n; k++) {
      // lowDifference stays 0 without a low band of its own
      const out = weight && trust ? luma[k] + trust[k] * (lowWeight * lowDifference[k] + weight[k] * (difference[k] - lowDifference[k])) : luma[k];
      outLuma[k] = out;
      moved += out - ownLuma[k];
    }
    return this.meanSimilarity(moved / n);
  }

  /**
   * Mean SSIM of `outLuma` − `shift` to `ownLuma`, in one sweep down the rows as boxSum sweeps
   * (column sums carried from row to row, a running sum along them): the output's three window
   * sums are never stored, and a try of the floor costs about one box sum instead of three.
   */
  private meanSimilarity(shift: number): number {
    const { width, height, outLuma: out, ownLuma: own } = this;
    const [sumS, sumSS] = this.ownSums;
    const [o, oo, so] = this.columns;
    const r = SIMILARITY_RADIUS, span = 2 * r, perArea = 1 / (span + 1) ** 2;
    const c1 = (0.01 * 255) ** 2;
    o.fill(0); oo.fill(0); so.fill(0);
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
        const meanS = sumS[k] * perArea, meanO = a * perArea;
        const varS = sumSS[k] * perArea - meanS * meanS, varO = b * perArea - meanO * meanO, cov = c * perArea - meanS * meanO;
        total += ((2 * meanS * meanO + c1) * (2 * cov + C2)) / ((meanS * meanS + meanO * meanO + c1) * (varS + varO + C2));
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
}
