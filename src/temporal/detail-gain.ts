// The detail gain: a blend of the warped past with the new stylization averages part of the
// strokes' fine detail away (two textures that do not line up exactly lose energy, whatever the
// weights), so a frame the stage blended can be shown with its fine band scaled back up. Only the
// frame shown: the history the next frame blends with stays the blend, or the scaled strokes of
// past frames, which do not match the next frame's, would come back as flicker
// (docs/temporal-detail.md, What the judge reads in a stable render).
import { fineLuma } from './image.js';

/** The fine band's window radius: the luma less its 5x5 mean, about the judge's detail band (Gaussian σ 1.5). */
export const DETAIL_RADIUS = 2;

/** Buffers for one frame size, reused from frame to frame. */
export class DetailGain {
  private readonly fine: Float32Array;
  private readonly mean: Float32Array;

  constructor(readonly width: number, readonly height: number) {
    this.fine = new Float32Array(width * height);
    this.mean = new Float32Array(width * height);
  }

  /** A new frame: `frame` (RGB) with its luma's fine band added again `gain` − 1 times to every channel, rounded (ties to even) and clamped. */
  apply(frame: Uint8Array, gain: number): Uint8Array {
    const { width, height, fine, mean } = this;
    fineLuma(frame, width, height, DETAIL_RADIUS, fine, mean);
    const extra = gain - 1;
    const out = new Uint8ClampedArray(frame.length); // clamps to 0..255 and rounds
    for (let k = 0, i = 0; k < fine.length; k++, i += 3) {
      const delta = extra * fine[k];
      out[i] = frame[i] + delta;
      out[i + 1] = frame[i + 1] + delta;
      out[i + 2] = frame[i + 2] + delta;
    }
    return new Uint8Array(out.buffer);
  }
}
