// The detail gain: a blend of the warped past with the new stylization averages part of the
// strokes' fine detail away (two textures that do not line up exactly lose energy, whatever the
// weights), so a frame the stage blended is shown with its fine band scaled back up where it was
// blended, in proportion to the past's weight there, and not beyond the fine-band energy of the
// frame's own stylization (within about 1%: the bound is taken before the mean and the rounding). Only the frame shown: the history the next frame blends with stays the
// blend, or the scaled strokes of past frames, which do not match the next frame's, would come
// back as flicker (docs/temporal-detail.md, The detail gain by the blend's weight).
import { fineLuma } from './image.js';

/** The default gain: at an even mix, 1.2 (docs/temporal-detail.md, Two frames ahead: with the stage's look-ahead of two frames, detail kept 0.64-0.98 on nine clips and two styles). */
export const DETAIL_DEFAULT = 1.2;

/** The fine band's window radius: the luma less its 5x5 mean, about the judge's detail band (Gaussian σ 1.5). */
export const DETAIL_RADIUS = 2;

/** The past's weight at which a pixel's fine band is scaled by the gain itself: an even mix. */
const EVEN_MIX = 0.5;

/** What the gain acts on: the frame's own stylization and the past's weight in the blend, pixel by pixel. */
export interface BlendedFrame {
  /** the blend (RGB) */
  mix: Uint8Array;
  /** the frame's own stylization (RGB): the shown fine-band energy stays within its (neither this nor ownEnergy: no bound, for research variants) */
  own?: Uint8Array;
  /** that bound, Σ f² of this frame's own stylization's fine band at DETAIL_RADIUS, where the caller has measured it (BlendStatistics.ownFineEnergy): taken instead of measuring `own` */
  ownEnergy?: number;
  /** the blend's fine-band weight of the past at each pixel, and the trust in the motion there: the past weighs their product */
  weight: Float32Array;
  trust: Float32Array;
}

/** Buffers for one frame size, reused from frame to frame. */
export class DetailGain {
  private readonly fine: Float32Array;
  private readonly ownFine: Float32Array;
  private readonly mean: Float32Array;
  private readonly extra: Float32Array;

  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    this.fine = new Float32Array(n);
    this.ownFine = new Float32Array(n);
    this.mean = new Float32Array(n);
    this.extra = new Float32Array(n);
  }

  /**
   * A new frame: the mix with its luma's fine band f added again (gain − 1)·(w / 0.5) times at a
   * pixel where the past weighs w, to every channel, the whole added band scaled down by one
   * factor where the shown fine band's energy would pass the own stylization's, and its mean taken
   * back (a gain that follows the weight is not zero-mean); rounded (ties to even) and clamped.
   */
  apply({ mix, own, ownEnergy, weight, trust }: BlendedFrame, gain: number): Uint8Array {
    const { width, height, fine, mean } = this;
    fineLuma(mix, width, height, DETAIL_RADIUS, fine, mean);
    const bound = ownEnergy ?? (own ? this.fineEnergy(own) : Infinity);
    return this.withBand(mix, fine, fine, weight, trust, gain, bound);
  }

  /**
   * The rule of `apply` with another luma band added in place of the mix's own fine band `fine`
   * (research variants: src/temporal/research/history-detail.ts); `bound` the shown fine band's
   * energy at most. One pass over the frame for the sums: this is the render's per-frame path.
   */
  withBand(mix: Uint8Array, fine: Float32Array, band: Float32Array, weight: Float32Array, trust: Float32Array, gain: number, bound: number): Uint8Array {
    const { extra } = this;
    const slope = (gain - 1) / EVEN_MIX;
    // Energies of the fine band shown, a + 2tb + t²c with the added band scaled by t; the added band's sum.
    let a = 0, b = 0, c = 0, shift = 0;
    for (let k = 0; k < fine.length; k++) {
      const f = fine[k], x = slope * weight[k] * trust[k] * band[k];
      extra[k] = x;
      a += f * f;
      b += f * x;
      c += x * x;
      shift += extra[k];
    }
    let t = 1;
    if (a + 2 * b + c > bound) t = a >= bound || c === 0 ? 0 : (-b + Math.sqrt(b * b - c * (a - bound))) / c;
    shift /= extra.length;
    const out = new Uint8ClampedArray(mix.length); // clamps to 0..255 and rounds
    for (let k = 0, i = 0; k < extra.length; k++, i += 3) {
      const delta = t * (extra[k] - shift);
      out[i] = mix[i] + delta;
      out[i + 1] = mix[i + 1] + delta;
      out[i + 2] = mix[i + 2] + delta;
    }
    return new Uint8Array(out.buffer);
  }

  /** Σ f² of an RGB frame's fine band, f its luma less the luma's 5x5 mean. */
  fineEnergy(rgb: Uint8Array): number {
    const { width, height, ownFine, mean } = this;
    fineLuma(rgb, width, height, DETAIL_RADIUS, ownFine, mean);
    let energy = 0;
    for (let k = 0; k < ownFine.length; k++) energy += ownFine[k] * ownFine[k];
    return energy;
  }
}
