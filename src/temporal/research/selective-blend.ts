// Choosing instead of mixing the fine band: two versions of a texture that do not line up average
// away their detail (w² + (1 − w)² of its energy), so where the warped history's fine band agrees
// with the new stylization's it is taken whole, elsewhere the new one's (docs/temporal-detail.md,
// Choosing instead of mixing). The low band is left to the blend, mixed as before.
import { boxSum } from '../image.js';

export interface SelectionParams {
  /** the fine band: each luma less its mean over a (2·fineRadius+1)² window */
  fineRadius: number;
  /** the window the agreement is judged over: (2·windowRadius+1)² */
  windowRadius: number;
  /** agreement (the fine bands' normalised difference energy, 0 alike, 1 unrelated) under which the history is taken whole */
  take: number;
  /** agreement above which the new stylization is taken whole; a linear switch between */
  leave: number;
  /** radius of the box that feathers the switch, so that patches do not pop */
  featherRadius: number;
}

export const SELECTION: SelectionParams = { fineRadius: 4, windowRadius: 3, take: 0.5, leave: 0.9, featherRadius: 2 };

/** Fine-band energy floor (squared levels) of a window: flat windows agree whatever their noise. */
const FLAT = 4;

/** Buffers for one frame size, reused from frame to frame. */
export class FineSelection {
  private readonly own: Float32Array;
  private readonly history: Float32Array;
  private readonly mean: Float32Array;
  private readonly squares: Float32Array;
  private readonly sums: Float32Array[];
  readonly choice: Float32Array;

  constructor(readonly width: number, readonly height: number, readonly params: SelectionParams = SELECTION) {
    const n = width * height;
    this.own = new Float32Array(n);
    this.history = new Float32Array(n);
    this.mean = new Float32Array(n);
    this.squares = new Float32Array(n);
    this.sums = Array.from({ length: 3 }, () => new Float32Array(n));
    this.choice = new Float32Array(n);
  }

  /**
   * Per pixel, the share of the history's fine band to take (1: the history's whole, 0: the
   * target's): from r = E[(h_w − h_t)²] / (E[h_w²] + E[h_t²] + FLAT) over a window, h the luma's
   * fine band of the warped history and of the target, 1 at r ≤ take, 0 at r ≥ leave, then feathered.
   */
  choose(target: Uint8Array, warped: Float32Array): Float32Array {
    const { width, height, own, history, mean, squares, sums, choice, params } = this;
    const n = width * height;
    for (let k = 0, i = 0; k < n; k++, i += 3) {
      own[k] = 0.299 * target[i] + 0.587 * target[i + 1] + 0.114 * target[i + 2];
      history[k] = 0.299 * warped[i] + 0.587 * warped[i + 1] + 0.114 * warped[i + 2];
    }
    const perFine = 1 / (2 * params.fineRadius + 1) ** 2;
    for (const luma of [own, history]) {
      boxSum(luma, width, height, params.fineRadius, mean);
      for (let k = 0; k < n; k++) luma[k] -= mean[k] * perFine;
    }
    const [sumOwn, sumHistory, sumDifference] = sums;
    const r = params.windowRadius;
    for (let k = 0; k < n; k++) squares[k] = own[k] * own[k];
    boxSum(squares, width, height, r, sumOwn);
    for (let k = 0; k < n; k++) squares[k] = history[k] * history[k];
    boxSum(squares, width, height, r, sumHistory);
    for (let k = 0; k < n; k++) squares[k] = (history[k] - own[k]) ** 2;
    boxSum(squares, width, height, r, sumDifference);
    const area = (2 * r + 1) ** 2, span = params.leave - params.take;
    for (let k = 0; k < n; k++) {
      const ratio = sumDifference[k] / (sumOwn[k] + sumHistory[k] + FLAT * area);
      squares[k] = Math.min(1, Math.max(0, (params.leave - ratio) / span));
    }
    if (params.featherRadius > 0) {
      boxSum(squares, width, height, params.featherRadius, choice);
      const perFeather = 1 / (2 * params.featherRadius + 1) ** 2;
      for (let k = 0; k < n; k++) choice[k] *= perFeather;
    } else choice.set(squares);
    return choice;
  }
}
