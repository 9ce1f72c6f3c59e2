// The fine band filtered over time on its own, with more of the past than the blend takes, and
// shown at the energy of the frame's own stylization. Averaging unaligned strokes lowers their
// energy but not the agreement of what is left with the new frame's; scaling the average back up
// keeps its stability and restores its detail (docs/temporal-detail.md, The fine band filtered apart).
import { boxSum, type Flow } from '../image.js';
import { bicubicSample, fineLuma } from './fine-band.js';
import { resizeFlow } from '../warp.js';

export interface FineFilterParams {
  /** the fine band: the luma less its mean over a (2·fineRadius+1)² window */
  fineRadius: number;
  /** the share of the warped filtered band a trusted pixel keeps */
  history: number;
  /** the window the energies are compared over: (2·energyRadius+1)²; 0: the whole frame, one gain for it (carried from frame to frame by gainHistory) */
  energyRadius: number;
  /** the gain's bound: where the filter kept almost nothing, a larger one would lift only noise; negative: one gain, −maxGain, everywhere (the model's) */
  maxGain: number;
  /** whether the shown frame takes the own stylization's fine band alone where nothing is trusted (else the blend's) */
  ownWhereUntrusted: boolean;
  /** the share of the warped past gain a trusted pixel keeps: a gain redrawn every frame flickers */
  gainHistory: number;
  /** whether the filter takes the frame's own stylization's fine band (true) or the target's, the look-ahead mix where there is one */
  freshFromStylized: boolean;
}

export const FINE_FILTER: FineFilterParams = { fineRadius: 2, history: 0.7, energyRadius: 3, maxGain: 3, ownWhereUntrusted: false, gainHistory: 0, freshFromStylized: false };

/** Energy floor (squared levels) of a window: flat windows keep a gain of about 1. */
const FLAT = 4;

export class FineBandFilter {
  private state: Float32Array;
  private warped: Float32Array;
  private readonly map: Float32Array;
  private readonly own: Float32Array;
  private readonly blended: Float32Array;
  private readonly mean: Float32Array;
  private readonly squares: Float32Array;
  private readonly ownEnergy: Float32Array;
  private readonly stateEnergy: Float32Array;
  private gain: Float32Array;
  private gainWarped: Float32Array;
  private frameGain = 0;
  private started = false;

  constructor(readonly width: number, readonly height: number, readonly params: FineFilterParams = FINE_FILTER) {
    const n = width * height;
    this.state = new Float32Array(n);
    this.warped = new Float32Array(n);
    this.map = new Float32Array(2 * n);
    this.own = new Float32Array(n);
    this.blended = new Float32Array(n);
    this.mean = new Float32Array(n);
    this.squares = new Float32Array(n);
    this.ownEnergy = new Float32Array(n);
    this.stateEnergy = new Float32Array(n);
    this.gain = new Float32Array(n).fill(1);
    this.gainWarped = new Float32Array(n);
  }

  /**
   * The frame to show: `output` (the blend) with its fine band replaced by the filtered one,
   * F_t = h·trust·F_{t−1}(p + flow(p)) + (1 − h·trust)·fine(target), scaled window by window to
   * the energy of fine(stylized) (gain clamped to [1, maxGain]). `backward` undefined: the filter
   * restarts from the target.
   */
  apply(stylized: Uint8Array, target: Uint8Array, output: Uint8Array, backward: Flow | undefined, trust: Float32Array | undefined): Uint8Array {
    const { width, height, params, map, own, blended, mean, squares } = this;
    const n = width * height;
    if (params.freshFromStylized) target = stylized;
    if (!backward || !trust || !this.started) {
      fineLuma(target, width, height, params.fineRadius, this.state, mean);
      this.gain.fill(1);
      this.frameGain = 0;
      this.started = true;
      return output;
    }
    const flow = resizeFlow(backward, width, height).data;
    for (let y = 0, p = 0; y < height; y++)
      for (let x = 0; x < width; x++, p++) {
        map[2 * p] = x + flow[2 * p];
        map[2 * p + 1] = y + flow[2 * p + 1];
      }
    const carried = bicubicSample(this.state, width, height, map, this.warped);
    this.warped = this.state;
    this.state = carried;
    const fresh = fineLuma(target, width, height, params.fineRadius, own, mean);
    for (let k = 0; k < n; k++) {
      const h = params.history * trust[k];
      carried[k] = h * carried[k] + (1 - h) * fresh[k];
    }
    fineLuma(stylized, width, height, params.fineRadius, own, mean);
    const r = params.energyRadius;
    if (r === 0 && params.maxGain > 0) {
      // one gain for the frame, from its whole energies, carried over frames: it changes slowly, so it does not flicker
      let ownTotal = 0, stateTotal = 0;
      for (let k = 0; k < n; k++) { ownTotal += own[k] * own[k]; stateTotal += carried[k] * carried[k]; }
      const gain = Math.min(params.maxGain, Math.max(1, Math.sqrt((ownTotal + FLAT * n) / (stateTotal + FLAT * n))));
      this.frameGain = this.frameGain > 0 ? params.gainHistory * this.frameGain + (1 - params.gainHistory) * gain : gain;
    } else if (params.maxGain > 0) {
      for (let k = 0; k < n; k++) squares[k] = own[k] * own[k];
      boxSum(squares, width, height, r, this.ownEnergy);
      for (let k = 0; k < n; k++) squares[k] = carried[k] * carried[k];
      boxSum(squares, width, height, r, this.stateEnergy);
    }
    fineLuma(output, width, height, params.fineRadius, blended, mean);
    const floor = FLAT * (2 * r + 1) ** 2;
    let pastGain: Float32Array | undefined;
    if (params.gainHistory > 0 && r > 0) {
      pastGain = bicubicSample(this.gain, width, height, map, this.gainWarped);
      this.gainWarped = this.gain;
      this.gain = pastGain;
    }
    const out = new Uint8ClampedArray(output.length);
    for (let k = 0, i = 0; k < n; k++, i += 3) {
      let gain = params.maxGain < 0 ? -params.maxGain : r === 0 ? this.frameGain : Math.min(params.maxGain, Math.max(1, Math.sqrt((this.ownEnergy[k] + floor) / (this.stateEnergy[k] + floor))));
      if (pastGain) {
        const h = params.gainHistory * trust[k];
        gain = pastGain[k] = h * pastGain[k] + (1 - h) * gain;
      }
      const fine = params.ownWhereUntrusted ? trust[k] * gain * carried[k] + (1 - trust[k]) * own[k] : gain * carried[k];
      const delta = fine - blended[k];
      out[i] = output[i] + delta;
      out[i + 1] = output[i + 1] + delta;
      out[i + 2] = output[i + 2] + delta;
    }
    return new Uint8Array(out.buffer);
  }
}
