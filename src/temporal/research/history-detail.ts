// The detail gain with the band it adds taken from the warped history instead of the blend: the
// history's strokes, already stable, amplified in place of the blend's, whose newest part is
// redrawn every frame (docs/temporal-detail.md, The detail added from the history).
import { DETAIL_RADIUS, DetailGain } from '../detail-gain.js';
import { fineLuma } from '../image.js';

export class HistoryDetail {
  private readonly fine: Float32Array;
  private readonly history: Float32Array;
  private readonly mean: Float32Array;
  private readonly gain: DetailGain; // the product's rule, and the own stylization's fine-band energy (the bound)
  private readonly added: Float32Array;
  private readonly rounded: Uint8Array;

  /** `share`: of the added band, the share that is the blend's own (1: the product's detail gain), the rest the history's. */
  constructor(readonly width: number, readonly height: number, private readonly share: number) {
    const n = width * height;
    [this.fine, this.history, this.mean, this.added] = Array.from({ length: 4 }, () => new Float32Array(n));
    this.gain = new DetailGain(width, height);
    this.rounded = new Uint8Array(3 * n);
  }

  /** The warped history's luma fine band, kept for the frame shown next (the stage writes the blend over `warped`). */
  keepHistory(warped: Float32Array): void {
    const { rounded, width, height, history, mean } = this;
    for (let i = 0; i < rounded.length; i++) rounded[i] = Math.min(255, Math.max(0, Math.round(warped[i])));
    fineLuma(rounded, width, height, DETAIL_RADIUS, history, mean);
  }

  /** The product's rule (detail-gain.ts, at `gain` for an even mix) with the band added s·f_blend + (1 − s)·f_history. */
  apply(mix: Uint8Array, own: Uint8Array, weight: Float32Array, trust: Float32Array, gain: number): Uint8Array {
    const { width, height, fine, history, added, mean, share } = this;
    const bound = this.gain.fineEnergy(own);
    fineLuma(mix, width, height, DETAIL_RADIUS, fine, mean);
    for (let k = 0; k < fine.length; k++) added[k] = share * fine[k] + (1 - share) * history[k];
    return this.gain.withBand(mix, fine, added, weight, trust, gain, bound);
  }
}
