// The fine band carried from a keyframe, resampled once: warping the warped output again every
// frame softens its finest strokes a little each time, and blending two unaligned versions of them
// halves their energy. Here each pixel keeps where it came from in the keyframe, the backward flows
// composed frame to frame (map_t(x) = map_{t−1}(x + flow_t(x))), and the keyframe's fine band is
// sampled there once, bicubically; the blend's own fine band is replaced by it where the map is
// still trusted (docs/temporal-detail.md, The fine band from a keyframe).
import type { Flow } from './image.js';
import { boxSum } from './image.js';
import { resizeFlow } from './warp.js';

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

  /** The luma's fine band of an RGB frame, into `into`. */
  private fineBand(rgb: Uint8Array, into: Float32Array): Float32Array {
    const { width, height, mean, params } = this;
    const n = width * height;
    for (let k = 0, i = 0; k < n; k++, i += 3) into[k] = 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
    boxSum(into, width, height, params.fineRadius, mean);
    const per = 1 / (2 * params.fineRadius + 1) ** 2;
    for (let k = 0; k < n; k++) into[k] -= mean[k] * per;
    return into;
  }

  /** A new keyframe: every pixel its own source. */
  private restart(stylized: Uint8Array, output: Uint8Array): void {
    const { width, height } = this;
    this.fineBand(this.params.keyFromStylized ? stylized : output, this.fine);
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
    const own = this.fineBand(output, this.scratch);
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

/** A single-channel image sampled at (map[2p], map[2p+1]) for every p, Catmull-Rom, edges clamped. */
export function bicubicSample(image: Float32Array, width: number, height: number, map: Float32Array, into: Float32Array): Float32Array {
  for (let p = 0, n = width * height; p < n; p++) {
    const sx = Math.min(Math.max(map[2 * p], 0), width - 1), sy = Math.min(Math.max(map[2 * p + 1], 0), height - 1);
    const x0 = sx | 0, y0 = sy | 0;
    const tx = sx - x0, ty = sy - y0;
    let total = 0;
    for (let k = -1; k <= 2; k++) {
      const wy = catmullRom(k, ty);
      const row = Math.min(Math.max(y0 + k, 0), height - 1) * width;
      for (let j = -1; j <= 2; j++) total += wy * catmullRom(j, tx) * image[row + Math.min(Math.max(x0 + j, 0), width - 1)];
    }
    into[p] = total;
  }
  return into;
}

/** The Catmull-Rom weight of tap j (−1..2) at fraction t. */
function catmullRom(j: number, t: number): number {
  const t2 = t * t, t3 = t2 * t;
  if (j === -1) return -0.5 * t3 + t2 - 0.5 * t;
  if (j === 0) return 1.5 * t3 - 2.5 * t2 + 1;
  if (j === 1) return -1.5 * t3 + 2 * t2 + 0.5 * t;
  return 0.5 * t3 - 0.5 * t2;
}
