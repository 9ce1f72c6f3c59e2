// Hard cuts found by colour histograms, as the stability judge finds them: across a cut between two
// real shots a smooth flow, and the brightness check along it, can still trust most pixels, but the
// colours of the two shots differ far more than those of any two frames of one shot
// (docs/temporal-method.md, Cuts).
import type { RgbFrame } from '../frame.js';

/** Bins of hue, saturation and value (OpenCV's HSV ranges), as the judge's 16x8x8. */
const HUE_BINS = 16, SATURATION_BINS = 8, VALUE_BINS = 8;

/** A pair is a cut at this Bhattacharyya distance or more (the judge's: cuts on real footage read 0.65-0.81, other pairs at most 0.35)... */
export const CUT_DISTANCE = 0.45;
/** ...and at this many times the median of the run's recent pairs or more: a fade or a fast pan moves the colours a little every frame. */
export const CUT_RATIO = 8;
/** How many recent pairs (cuts left out) the median is taken over: few, so that a part's warm-up frames see all of them. */
export const CUT_HISTORY = 5;
/**
 * A cross-fade's pairs: a distance of FADE_DISTANCE or more (pairs within one shot of real footage
 * read at most 0.20 here) that starts at FADE_RATIO times the recent median or more and goes on
 * while the distance holds (docs/temporal-method.md, Fades).
 */
export const FADE_DISTANCE = 0.3;
export const FADE_RATIO = 5;
/**
 * A soft cross-fade, between shots of near colours, reads under FADE_DISTANCE on every pair (0.14-0.20
 * here) but holds: FADE_RUN pairs in a row at FADE_LOW or more, each FADE_RATIO times the median before
 * the run, and the pairs after them while that holds. A shot's own jumps (grain, a flash, a fast pan)
 * come alone or at a ratio near 2 (docs/temporal-method.md, Soft fades).
 */
export const FADE_LOW = 0.12;
export const FADE_RUN = 3;

/**
 * Bins per unit: with hue = 60°·n/range (n the difference of the other two channels, plus 2·range
 * in green's sector, 4·range in blue's, 6·range where still negative), the hue bin is
 * floor(n·16/(6·range)) and the saturation bin floor(range·8/max). A product with these tables is
 * within 3e-15 of the quotient, and a quotient that is not whole lies at least 1/765 from one, so
 * HSV_EPSILON added before the truncation gives the quotients' bins (all 2^24 colours checked in the tests).
 */
const HUE_BIN_PER = new Float64Array(256).map((_, range) => (range > 0 ? HUE_BINS / (6 * range) : 0));
const SATURATION_BIN_PER = new Float64Array(256).map((_, max) => (max > 0 ? SATURATION_BINS / max : 0));
const HSV_EPSILON = 1e-9;

/** The hue x saturation x value bin of an 8-bit colour, in integers and tables: 1.2 against 2.0 ms a 640x360 frame with two divisions (docs/speed-and-memory.md). */
export function colourBin(r: number, g: number, b: number): number {
  const max = r > g ? (r > b ? r : b) : g > b ? g : b;
  const range = max - (r < g ? (r < b ? r : b) : g < b ? g : b);
  const value = (max * VALUE_BINS) >> 8;
  if (range === 0) return value;
  // OpenCV's sectors: red the largest, then green, then blue.
  let n = max === r ? g - b : max === g ? 2 * range + (b - r) : 4 * range + (r - g);
  if (n < 0) n += 6 * range;
  const hue = Math.min(HUE_BINS - 1, (n * HUE_BIN_PER[range] + HSV_EPSILON) | 0);
  const saturation = Math.min(SATURATION_BINS - 1, (range * SATURATION_BIN_PER[max] + HSV_EPSILON) | 0);
  return (hue * SATURATION_BINS + saturation) * VALUE_BINS + value;
}

/** The frame's colours as a distribution over hue x saturation x value bins (summing to 1). */
export function colourHistogram(frame: RgbFrame): Float32Array {
  const counts = new Float32Array(HUE_BINS * SATURATION_BINS * VALUE_BINS);
  const { data } = frame;
  for (let i = 0; i < data.length; i += 3) counts[colourBin(data[i], data[i + 1], data[i + 2])]++;
  const pixels = data.length / 3;
  for (let k = 0; k < counts.length; k++) counts[k] /= pixels;
  return counts;
}

/** Bhattacharyya distance between two distributions, √(1 − Σ √(p·q)), as OpenCV's compareHist gives it: 0 alike, 1 disjoint. */
export function histogramDistance(p: Float32Array, q: Float32Array): number {
  let overlap = 0;
  for (let k = 0; k < p.length; k++) overlap += Math.sqrt(p[k] * q[k]);
  return Math.sqrt(Math.max(0, 1 - overlap));
}

/**
 * Tells, pair by pair along a run, whether the colours jump between two frames: a distance at
 * CUT_DISTANCE or more and at CUT_RATIO times the median of the last CUT_HISTORY pairs that were
 * not jumps (the run's first pairs, with no history, by the distance alone).
 */
export class ColourCuts {
  private readonly recent: number[] = [];
  /** the frame before, as `step` found it */
  private last?: { colours: Float32Array; jump: number; fade: boolean };
  /** the pairs in a row that could be a soft fade's, and the median before the first of them */
  private run = 0;
  private runBase = 0;

  /** The median of the recent pairs that were not jumps (0 with none). */
  private median(): number {
    const sorted = [...this.recent].sort((a, b) => a - b);
    return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }

  /** Whether a pair at `distance` is part of a cross-fade, `going` where the pair before it was; asked once a pair, before `isJump` records it. */
  isFade(distance: number, going: boolean): boolean {
    const before = this.median();
    // the ratio is to the median before the run: the run's own pairs enter the recent ones
    const base = this.run > 0 ? this.runBase : before;
    if (this.recent.length > 0 && distance >= FADE_LOW && distance >= FADE_RATIO * base) {
      if (this.run++ === 0) this.runBase = base;
    } else this.run = 0;
    return (distance >= FADE_DISTANCE && (going || distance >= FADE_RATIO * before)) || this.run >= FADE_RUN;
  }

  /**
   * The next frame of the run, by its colours: whether its pair with the frame before jumps (the
   * distance, else 0) or is a fade's, and whether the frame before begins a new
   * shot (its own pair jumped, and this one is calm: a hard cut). The run's first frame has no pair.
   */
  step(colours: Float32Array): { jump: number; fade: boolean; previousStartsShot: boolean } {
    const last = this.last;
    if (!last) {
      this.last = { colours, jump: 0, fade: false };
      return { jump: 0, fade: false, previousStartsShot: false };
    }
    const distance = histogramDistance(last.colours, colours);
    const fade = this.isFade(distance, last.fade);
    const jump = this.isJump(distance) ? distance : 0;
    this.last = { colours, jump, fade };
    return { jump, fade, previousStartsShot: last.jump > 0 && isolatedJump(last.jump, distance) };
  }

  isJump(distance: number): boolean {
    const jump = distance >= CUT_DISTANCE && distance >= CUT_RATIO * this.median();
    if (!jump) {
      this.recent.push(distance);
      if (this.recent.length > CUT_HISTORY) this.recent.shift();
    }
    return jump;
  }
}

/** A jump is a hard cut where the pair after it is calm (CUT_RATIO times closer): in a fade, the colours keep moving. */
export function isolatedJump(jump: number, next: number): boolean {
  return next * CUT_RATIO <= jump;
}

/**
 * The hard cuts among consecutive frames, as the temporal stage finds them (a jump, then a calm
 * pair): the index of each new shot's first frame. The last pair, with nothing after it, is not
 * judged.
 */
export async function hardCuts(frames: AsyncIterable<RgbFrame>): Promise<number[]> {
  const cuts = new ColourCuts();
  const found: number[] = [];
  let previous: number | undefined;
  for await (const frame of frames) {
    if (cuts.step(colourHistogram(frame)).previousStartsShot) found.push(previous!);
    previous = frame.index;
  }
  return found;
}
