// How much of the warped previous output each pixel takes. A flat weight trades style for
// stability at the same rate everywhere; this one spends it where it buys the most stability for
// the least loss of the style's structure.
//
// With output o = s + w·d (s the new stylization, d = warped − s), a window's flicker left is
// (1 − w)²·E[d²], while its structural similarity to s (SSIM's contrast-structure term) loses about
// w²·var(d) / (2·var(s) + C2). Minimising flicker + λ·loss gives
//     w = strength · E[d²] / (E[d²] + λ · var(d) / (2·var(s) + C2)):
// high where the difference is a shift of the whole window or small beside the style's own
// contrast (strokes survive it), low where it would redraw a flat patch's structure
// (docs/temporal-method.md, The blend weight).
import { boxSum, boxSumAndSquares } from './image.js';
import { meanSimilarity as similarityKernel } from './kernels/index.js';

/** Window radius of the weights' local statistics: 7x7 at full size. */
const RADIUS = 3;
/** SSIM's stabilising constant for (co)variances, (0.03·255)² (Wang et al. 2004). */
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
/** Window radius of `similarity`: 5x5, the box with the spread of SSIM's 11-tap Gaussian (σ 1.5). */
const SIMILARITY_RADIUS = 2;
/** λ, the price of structure against flicker, where each frame starts; chosen with the SSIM floor (docs/temporal-method.md, λ and the SSIM floor). */
export const STRUCTURE_LAMBDA = 250;

/**
 * The difference's low band (its mean over 9x9 windows, edges replicated) is blended apart, by one
 * weight everywhere: a slow change of colour over a region costs SSIM little, but the formula
 * above, judging the whole difference, blends it as little as texture (docs/temporal-method.md, The low band).
 */
export const LOW_BAND_RADIUS = 4;

/** The low band `blend` mixes apart: its share of every trusted pixel, and each channel's 9x9 means of the difference. */
export interface LowBand {
  weight: number;
  low: Float32Array;
}

/** A frame's luma against its stylization's, with the stylization's window sums once they are needed. */
class LumaPair {
  readonly luma: Float32Array;
  readonly ownLuma: Float32Array;
  /** the stylized frame's luma and its square summed over similarity's windows */
  readonly ownSums: [Float32Array, Float32Array];
  ownSummed = false;
  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    this.luma = new Float32Array(n);
    this.ownLuma = new Float32Array(n);
    this.ownSums = [new Float32Array(n), new Float32Array(n)];
  }

  /** The stylized frame's window sums, computed the first time a similarity asks. */
  sums(): [Float32Array, Float32Array] {
    if (!this.ownSummed) {
      this.ownSummed = true;
      const { width, height, ownLuma } = this;
      boxSumAndSquares(ownLuma, width, height, SIMILARITY_RADIUS, this.ownSums[0], this.ownSums[1]);
    }
    return this.ownSums;
  }
}

/**
 * Buffers for one frame size, reused from frame to frame. `measure` fills them and hands back the
 * frame's statistics, which weighting, similarity and the low band are asked of: there is no order
 * to keep. The statistics live in these buffers, so a frame's hold until the next `measure`.
 */
export class BlendWeights {
  private readonly measured: LumaPair;
  private readonly compared: LumaPair;
  /** the output's luma, which a similarity compares with the own stylization's */
  private readonly outLuma: Float32Array;
  private readonly difference: Float32Array;
  private readonly sums: Float32Array[];
  private readonly energy: Float64Array;
  private readonly structureCost: Float64Array;
  private readonly weights: Float32Array;
  private readonly lowDifference: Float32Array;
  private readonly channelDifference: Float32Array;
  private readonly channelLow: Float32Array;

  /** `lowWeight`: the share of the difference's low band every trusted pixel takes (0: no band of its own) */
  constructor(readonly width: number, readonly height: number, readonly lowWeight = 0) {
    const n = width * height;
    this.measured = new LumaPair(width, height);
    this.compared = new LumaPair(width, height);
    this.outLuma = new Float32Array(n);
    this.difference = new Float32Array(n);
    this.sums = Array.from({ length: 4 }, () => new Float32Array(n));
    this.energy = new Float64Array(n);
    this.structureCost = new Float64Array(n);
    this.weights = new Float32Array(n);
    this.lowDifference = new Float32Array(n);
    this.channelDifference = new Float32Array(lowWeight > 0 ? 3 * n : 0);
    this.channelLow = new Float32Array(lowWeight > 0 ? 3 * n : 0);
  }

  /**
   * The window statistics of `target` (what `warped` is blended into: the stylized frame, or it
   * mixed with the next one's) and of its difference to `warped`; and the stylized frame's own
   * luma, which similarity measures against.
   */
  measure(stylized: Uint8Array, warped: Float32Array, target: Uint8Array = stylized): BlendStatistics {
    const { width, height, difference, measured } = this;
    const { luma } = measured;
    const n = width * height;
    lumaOf(measured, stylized, target, warped, difference, this.lowWeight > 0 ? this.channelDifference : undefined);
    const [sumS, sumSS, sumD, sumDD] = this.sums;
    boxSumAndSquares(luma, width, height, RADIUS, sumS, sumSS);
    boxSumAndSquares(difference, width, height, RADIUS, sumD, sumDD);
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
    return new BlendStatistics(this.lowWeight, measured, this.outLuma, difference, this.energy, this.structureCost, this.weights, this.lowDifference, this.lowWeight > 0 ? { weight: this.lowWeight, low: this.channelLow } : undefined);
  }

  /**
   * The target's own structural similarity to the stylized frame, as a blend's similarity is
   * measured, without the window statistics a blend needs: whether a look-ahead mix holds the SSIM
   * floor at all, for less than a `measure`. It leaves the last measure's statistics as they are.
   */
  compare(stylized: Uint8Array, target: Uint8Array): number {
    const { compared, outLuma } = this;
    lumaOf(compared, stylized, target);
    const n = this.width * this.height;
    let moved = 0;
    for (let k = 0; k < n; k++) {
      outLuma[k] = compared.luma[k];
      moved += compared.luma[k] - compared.ownLuma[k];
    }
    return meanSimilarity(compared, outLuma, moved / n);
  }
}

/**
 * What one `measure` found: the terms of the blend weight that do not depend on λ, per pixel, and
 * the lumas similarity compares; asked for the weights at a strength and λ, a blend's similarity,
 * and the low band.
 */
export class BlendStatistics {
  /** what `weights` holds: the floor's search ends where it may have weighed last */
  private weighed?: { strength: number; lambda: number };

  constructor(
    private readonly lowWeight: number,
    private readonly lumas: LumaPair,
    private readonly outLuma: Float32Array,
    /** the luma of warped − target */
    private readonly difference: Float32Array,
    /** per pixel E[d²] (+ 1e-3), and var(d) / (2·var(s) + C2) */
    private readonly energy: Float64Array,
    private readonly structureCost: Float64Array,
    private readonly weightBuffer: Float32Array,
    /** the low band of the luma difference (its 9x9 mean), blended by `lowWeight` */
    private readonly lowDifference: Float32Array,
    /** what `blend` needs to blend the low band apart: none without a band of its own */
    readonly band: LowBand | undefined,
  ) {}

  /** The weight of `warped` at every pixel, at most `strength`, at λ. */
  weights(strength: number, lambda = STRUCTURE_LAMBDA): Float32Array {
    const { weightBuffer: weights, energy, structureCost } = this;
    if (this.weighed?.strength === strength && this.weighed.lambda === lambda) return weights;
    this.weighed = { strength, lambda };
    for (let k = 0, n = weights.length; k < n; k++) weights[k] = (strength * energy[k]) / (energy[k] + lambda * structureCost[k]);
    return weights;
  }

  /**
   * Σ f² of the stylized frame's fine band, f its luma less the luma's mean over (2·radius + 1)²
   * windows, as fineLuma gives it (image.ts): the detail gain's bound, from the window sums
   * similarity keeps; undefined for a radius other than theirs.
   */
  ownFineEnergy(radius: number): number | undefined {
    if (radius !== SIMILARITY_RADIUS) return undefined;
    const { lumas } = this;
    const [sums] = lumas.sums();
    const own = lumas.ownLuma, perArea = 1 / (2 * SIMILARITY_RADIUS + 1) ** 2;
    let energy = 0;
    for (let k = 0; k < own.length; k++) {
      const f = Math.fround(own[k] - sums[k] * perArea); // as fineLuma stores it
      energy += f * f;
    }
    return energy;
  }

  /**
   * The mean structural similarity (SSIM, Wang et al. 2004) to the stylized frame that the
   * target's blend with `warped` by `weight` · `trust` (and its low band by `lowWeight` · `trust`)
   * would have (luma, each channel's mean moved to the stylized frame's as `blend` moves it, before
   * rounding and clamping), over 5x5 windows with edges replicated. Computed on luma alone, which
   * is linear in the blend, so that trying a λ costs no blend. Without a weight, the target's own.
   */
  similarity(weight?: Float32Array, trust?: Float32Array): number {
    const { lumas, difference, lowDifference, lowWeight, outLuma } = this;
    const { luma, ownLuma } = lumas;
    const n = luma.length;
    lumas.sums();
    let moved = 0;
    for (let k = 0; k < n; k++) {
      // lowDifference stays 0 without a low band of its own
      const out = weight && trust ? luma[k] + trust[k] * (lowWeight * lowDifference[k] + weight[k] * (difference[k] - lowDifference[k])) : luma[k];
      outLuma[k] = out;
      moved += out - ownLuma[k];
    }
    return meanSimilarity(lumas, outLuma, moved / n);
  }
}

/**
 * The luma of the target, of the stylized frame and, with `warped`, of their difference (and,
 * with `channelDifference`, each channel's difference, in the same pass over the frames).
 */
function lumaOf(pair: LumaPair, stylized: Uint8Array, target: Uint8Array, warped?: Float32Array, difference?: Float32Array, channelDifference?: Float32Array): void {
  const { luma, ownLuma } = pair;
  const channels = warped && channelDifference;
  for (let k = 0, i = 0, n = pair.width * pair.height; k < n; k++, i += 3) {
    const s = 0.299 * target[i] + 0.587 * target[i + 1] + 0.114 * target[i + 2];
    luma[k] = s;
    ownLuma[k] = target === stylized ? s : 0.299 * stylized[i] + 0.587 * stylized[i + 1] + 0.114 * stylized[i + 2];
    if (warped) difference![k] = 0.299 * warped[i] + 0.587 * warped[i + 1] + 0.114 * warped[i + 2] - s;
    if (channels) {
      channelDifference[i] = warped[i] - target[i];
      channelDifference[i + 1] = warped[i + 1] - target[i + 1];
      channelDifference[i + 2] = warped[i + 2] - target[i + 2];
    }
  }
  pair.ownSummed = false;
}

/**
 * Mean SSIM of the output luma − `shift` to the pair's own luma, in one sweep down the
 * rows as boxSum sweeps (column sums carried from row to row, a running sum along them): the
 * output's three window sums are never stored, and a try of the floor costs about one box sum
 * instead of three. A WebAssembly kernel (kernels/similarity.as.ts).
 */
function meanSimilarity(pair: LumaPair, outLuma: Float32Array, shift: number): number {
  const [sums, squareSums] = pair.sums();
  return similarityKernel(outLuma, pair.ownLuma, sums, squareSums, pair.width, pair.height, SIMILARITY_RADIUS, shift, C1, C2);
}
