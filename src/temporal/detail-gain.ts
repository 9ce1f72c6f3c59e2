// The detail gain: a blend of the warped past with the new stylization averages part of the
// strokes' fine detail away (two textures that do not line up exactly lose energy, whatever the
// weights), so a frame the stage blended can be shown with its fine band scaled back up. Only the
// frame shown: the history the next frame blends with stays the blend, or the scaled strokes of
// past frames, which do not match the next frame's, would come back as flicker
// (docs/temporal-detail.md, What the judge reads in a stable render).
import { boxSum } from './image.js';

/** The fine band's window radius: the luma less its 5x5 mean, about the judge's detail band (Gaussian σ 1.5). */
export const DETAIL_RADIUS = 2;

/** Buffers for one frame size, reused from frame to frame. */
export class DetailGain {
  private readonly luma: Float32Array;
  private readonly sums: Float32Array;

  constructor(readonly width: number, readonly height: number) {
    this.luma = new Float32Array(width * height);
    this.sums = new Float32Array(width * height);
  }

  /** A new frame: `frame` (RGB) with its luma's fine band added again `gain` − 1 times to every channel, rounded and clamped. */
  apply(frame: Uint8Array, gain: number): Uint8Array {
    const { width, height, luma, sums } = this;
    const n = width * height;
    for (let k = 0, i = 0; k < n; k++, i += 3) luma[k] = 0.299 * frame[i] + 0.587 * frame[i + 1] + 0.114 * frame[i + 2];
    boxSum(luma, width, height, DETAIL_RADIUS, sums);
    const perArea = 1 / (2 * DETAIL_RADIUS + 1) ** 2, extra = gain - 1;
    const out = new Uint8ClampedArray(frame.length); // clamps to 0..255 and rounds to nearest
    for (let k = 0, i = 0; k < n; k++, i += 3) {
      const delta = extra * (luma[k] - sums[k] * perArea);
      out[i] = frame[i] + delta;
      out[i + 1] = frame[i + 1] + delta;
      out[i + 2] = frame[i + 2] + delta;
    }
    return new Uint8Array(out.buffer);
  }
}
