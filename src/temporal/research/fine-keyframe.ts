// The fine band carried from a keyframe, resampled once: warping the warped output again every
// frame softens its finest strokes a little each time, and blending two unaligned versions of them
// halves their energy. Here each pixel keeps where it came from in the keyframe, the backward flows
// composed frame to frame (map_t(x) = map_{t−1}(x + flow_t(x))), and the keyframe's fine band is
// sampled there once, bicubically; the blend's own fine band is replaced by it where the map is
// still trusted (docs/temporal-detail.md, The fine band from a keyframe).
import type { Flow } from '../image.js';
import { bicubicSample, fineLuma } from './fine-band.js';
import { resizeFlow } from '../warp.js';

export interface KeyframeParams {
  /** the fine band: the luma less its mean over a (2·fineRadius+1)² window */
  fineRadius: number;
  /** a new keyframe after this many frames */
  refreshEvery: number;
  /** or as soon as fewer pixels than this share still have a trusted path back to the keyframe */
  refreshBelow: number;
  /** the keyframe's fine band taken from the frame's own stylization (true) or from the output shown (false) */
  keyFromStylized: boolean;
}

export const KEYFRAME: KeyframeParams = { fineRadius: 2, refreshEvery: 12, refreshBelow: 0.6, keyFromStylized: true };

/** One run's keyframe, its fine band, and every pixel's coordinates in it and trust along the way. */
export class FineKeyframe {
  private readonly fine: Float32Array;
  private readonly scratch: Float32Array;
  private readonly mean: Float32Array;
  private map: Float32Array;
  private nextMap: Float32Array;
  private valid: Float32Array;
  private nextValid: Float32Array;
  private age = -1; // frames since the keyframe; −1 before the first
  private readonly carried: Float32Array;

  constructor(readonly width: number, readonly height: number, readonly params: KeyframeParams = KEYFRAME) {
    const n = width * height;
    this.fine = new Float32Array(n);
    this.scratch = new Float32Array(n);
    this.mean = new Float32Array(n);
    this.map = new Float32Array(2 * n);
    this.nextMap = new Float32Array(2 * n);
    this.valid = new Float32Array(n);
    this.nextValid = new Float32Array(n);
    this.carried = new Float32Array(n);
  }

  /** A new keyframe: every pixel its own source. */
  private restart(stylized: Uint8Array, output: Uint8Array): void {
    const { width, height } = this;
    fineLuma(this.params.keyFromStylized ? stylized : output, width, height, this.params.fineRadius, this.fine, this.mean);
    for (let y = 0, p = 0; y < height; y++)
      for (let x = 0; x < width; x++, p++) {
        this.map[2 * p] = x;
        this.map[2 * p + 1] = y;
      }
    this.valid.fill(1);
    this.age = 0;
  }

  /**
   * The frame to show: `output` (the blend) with its fine band replaced, where the map back to
   * the keyframe is trusted, by the keyframe's sampled once along it. `backward` undefined: no
   * motion to follow (a run's first frame, a cut), and the frame becomes the keyframe.
   */
  apply(stylized: Uint8Array, output: Uint8Array, backward: Flow | undefined, trust: Float32Array | undefined): Uint8Array {
    const { width, height, params } = this;
    const n = width * height;
    if (!backward || !trust || this.age < 0) {
      this.restart(stylized, output);
      return output;
    }
    const flow = resizeFlow(backward, width, height).data;
    const { map, valid, nextMap, nextValid } = this;
    let kept = 0;
    for (let y = 0, p = 0; y < height; y++)
      for (let x = 0; x < width; x++, p++) {
        const qx = x + flow[2 * p], qy = y + flow[2 * p + 1];
        if (qx < 0 || qy < 0 || qx > width - 1 || qy > height - 1) {
          nextValid[p] = 0;
          nextMap[2 * p] = x;
          nextMap[2 * p + 1] = y;
          continue;
        }
        const x0 = Math.min(qx | 0, width - 2), y0 = Math.min(qy | 0, height - 2);
        const tx = qx - x0, ty = qy - y0;
        const a = y0 * width + x0, b = a + 1, c = a + width, d = c + 1;
        const wa = (1 - tx) * (1 - ty), wb = tx * (1 - ty), wc = (1 - tx) * ty, wd = tx * ty;
        nextMap[2 * p] = wa * map[2 * a] + wb * map[2 * b] + wc * map[2 * c] + wd * map[2 * d];
        nextMap[2 * p + 1] = wa * map[2 * a + 1] + wb * map[2 * b + 1] + wc * map[2 * c + 1] + wd * map[2 * d + 1];
        // a path through an untrusted pixel (or one the keyframe's map left) is untrusted from then on
        const v = Math.min(valid[a], valid[b], valid[c], valid[d]) * trust[p];
        nextValid[p] = v;
        kept += v;
      }
    this.map = nextMap; this.nextMap = map;
    this.valid = nextValid; this.nextValid = valid;
    this.age++;
    const carried = bicubicSample(this.fine, width, height, this.map, this.carried);
    const own = fineLuma(output, width, height, params.fineRadius, this.scratch, this.mean);
    const out = new Uint8ClampedArray(output.length);
    for (let k = 0, i = 0; k < n; k++, i += 3) {
      const delta = this.valid[k] * (carried[k] - own[k]);
      out[i] = output[i] + delta;
      out[i + 1] = output[i + 1] + delta;
      out[i + 2] = output[i + 2] + delta;
    }
    const shown = new Uint8Array(out.buffer);
    if (this.age >= params.refreshEvery || kept < params.refreshBelow * n) this.restart(stylized, shown);
    return shown;
  }
}
