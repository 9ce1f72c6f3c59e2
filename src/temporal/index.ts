// The temporal stage sits between the network and the encoder: it sees every input frame and its
// per-frame stylization, in order, and returns the frame to encode. The previous output, warped
// along the input's motion, is blended in where the motion can be trusted (motion.ts), by a weight
// that keeps the style's structure (blend-weights.ts). The method and its constants: docs/temporal-method.md.
import type { RgbFrame } from '../frame.js';
import { BlendWeights, STRUCTURE_LAMBDA, type BlendStatistics, type LowBand } from './blend-weights.js';
import { ColourCuts } from './cuts.js';
import { DETAIL_DEFAULT, DETAIL_RADIUS, DetailGain, type BlendedFrame } from './detail-gain.js';
import { psnr, resizeTaps, type Flow, type Gray } from './image.js';
import { analyseInput, cpuStageFlows, type InputAnalysis, type StageFlows } from './input-analysis.js';
import { CUT_COVERAGE, type Motion } from './motion.js';
import { opticalFlowTf } from './tf-flow.js';
import { mixWarpedBilinear, warpRgb } from './warp.js';

/** A frame the stage has finished, with the input frame it came from. */
export interface FinishedFrame {
  input: RgbFrame;
  output: RgbFrame;
}

export interface TemporalStage {
  readonly name: string;
  /** How many frames the stage holds back for what comes after them: 1 with the look-ahead, 0 when off. */
  readonly lookahead: number;
  /**
   * Takes the next frame and its stylization; returns the frames it has finished (the one before,
   * with the look-ahead). `analysis`, the input's analysis computed ahead (input-analysis.ts, with
   * the frame before in this run), spares the stage computing it.
   */
  next(input: RgbFrame, stylized: RgbFrame, analysis?: InputAnalysis): FinishedFrame[];
  /** Finishes the frames it still holds: at the end of a run, the last one without a frame after it. */
  end(): FinishedFrame[];
}

export interface TemporalOptions {
  /** 0 turns the stage off; otherwise the largest share of the warped previous output a pixel takes */
  strength: number;
  /** below this share of trusted pixels the frame is taken as a hard cut and the blend restarts */
  cutCoverage?: number;
  /** compute the flow with TF.js ops on the active backend (where that is a GPU) instead of OpenCV's Farnebäck */
  flowOnBackend?: boolean;
  /** every frame's analysis comes with it (computed ahead, in worker threads): the stage loads no flow of its own */
  analysedAhead?: boolean;
  /** the detail gain: the fine band of each frame the stage blends with the past, scaled back up in the frame shown, by this where the past weighs half (default DETAIL_DEFAULT; 1: the blend as it is; detail-gain.ts) */
  detail?: number;
}

/** A warp of the stage's previous output (RGB, width x height) along a flow, into `into` where it fits. */
export type HistoryWarp = (image: Uint8Array, flow: Flow, width: number, height: number, into?: Float32Array) => Float32Array;

/**
 * Where research variants of the stage (src/temporal/research/, docs/temporal-detail.md) hook in,
 * through `createTemporalStageWith`; not part of the package's API, and no render sets them.
 */
export interface ResearchHooks {
  /** replaces the fine band's blend weight per pixel */
  fineWeight?: (frame: { target: Uint8Array; warped: Float32Array; weight: Float32Array; trust: Float32Array; width: number; height: number }) => Float32Array;
  /** the frame shown made from the blend (`backward` undefined where there was nothing to blend with), and whether the next frame blends with it or with the blend */
  shown?: { make: (frame: { stylized: Uint8Array; target: Uint8Array; output: Uint8Array; backward?: Flow; trust?: Float32Array; weight?: Float32Array; aheadTrust?: Float32Array; width: number; height: number }) => Uint8Array; inHistory: boolean };
  /** replaces the warp of the previous output (warpRgb's Catmull-Rom) */
  historyWarp?: HistoryWarp;
  /** how many frames the look-ahead mix reaches (LOOKAHEAD_FRAMES unless set), each further frame mixed into the one before it at `share` (LOOKAHEAD_WEIGHT unless set) */
  ahead?: { frames: number; share?: number };
}

/**
 * The flows the stage follows: backward (the warp of the previous output) Farnebäck and DIS
 * fused pixel by pixel (fused-flow.ts); forward (the round-trip check, and the look-ahead's warp
 * of the next frame) Farnebäck alone, at less cost. On a GPU, Lucas–Kanade as TF.js ops both ways.
 */
export const STAGE_FLOW = 'Farnebäck and DIS fused pixel by pixel';

export async function stageFlows(onBackend: boolean): Promise<StageFlows> {
  return onBackend ? { backward: opticalFlowTf, forward: opticalFlowTf } : cpuStageFlows();
}

/**
 * The SSIM floor: the least structural similarity (luma, 5x5 windows) a blended frame keeps to its
 * own stylization, as far as LAMBDA_STEPS allow; below it the frame is blended again at a higher λ.
 * A frame that looks like a wash of the last few is worse than one that flickers a little
 * (docs/temporal-method.md, λ and the SSIM floor).
 */
export const SSIM_FLOOR = 0.9;
/** How λ rises for a frame under the SSIM floor: by this factor a step, at most this many steps (bounded: docs/temporal-method.md). */
export const LAMBDA_STEP = 1.3;
export const LAMBDA_STEPS = 6;

const lambdaAfter = (steps: number) => STRUCTURE_LAMBDA * LAMBDA_STEP ** steps;

/**
 * The fewest λ steps that keep the blend at the SSIM floor (at most LAMBDA_STEPS), searched from
 * `from` up or down; the most when none do. The similarity rises with λ, so this is the answer a
 * search from no step would give, in about two tries where frames alike need alike. It rises
 * towards the target's own similarity (with the low band, which no λ holds back, towards that of
 * the target with its band blended), so before climbing it asks `reachable` (is the target itself
 * at the floor?) and does not climb if not: `reachable` false says the climb was skipped, and
 * `steps` is then where the search started.
 */
function fewestLambdaSteps(statistics: BlendStatistics, trust: Float32Array, strength: number, from: number, reachable = () => true): { steps: number; reachable: boolean } {
  const holds = (steps: number) => statistics.similarity(statistics.weights(strength, lambdaAfter(steps)), trust) >= SSIM_FLOOR;
  let steps = from;
  if (holds(steps)) {
    while (steps > 0 && holds(steps - 1)) steps--;
    return { steps, reachable: true };
  }
  if (!reachable()) return { steps, reachable: false };
  while (steps < LAMBDA_STEPS) if (holds(++steps)) return { steps, reachable: true };
  return { steps, reachable: true };
}

/**
 * The look-ahead mix: the share of the next frame's stylization (itself mixed with the frames after
 * it: LOOKAHEAD_FRAMES), brought back along the motion, mixed into a frame before the blend with the past. A blend with the past alone (an exponential
 * average) leaves more flicker at a given similarity than a filter over past and future together
 * (docs/temporal-method.md, The look-ahead mix).
 */
export const LOOKAHEAD_WEIGHT = 0.4;

/**
 * How many frames the look-ahead mix reaches within a shot: the farthest is mixed into the one
 * before it at LOOKAHEAD_WEIGHT, and so on back to the frame (a filter of the future as the blend
 * is of the past). Two take a filter of this kind most of the way to one over the whole clip
 * (docs/temporal-detail.md, How far a filter over time goes against the plain blend).
 */
export const LOOKAHEAD_FRAMES = 2;

/**
 * The share of the warped previous output's difference from the frame, in its low band (9x9
 * means, blend-weights.ts), that every trusted pixel takes, whatever the weight of the rest; never
 * more than the strength (docs/temporal-method.md, The low band).
 */
export const LOW_BAND_WEIGHT = 0.7;

/**
 * The guard on a new shot: a hard cut's first frame is its own stylization (nothing to blend
 * with); its next SHOT_GUARD_FRAMES − 1 frames, and every frame of a cross-fade and the
 * SHOT_GUARD_FRAMES − 1 after it, are blended as any other and then brought back towards their
 * own stylizations as far as it takes to be within SHOT_GUARD_PSNR of them. The old shot cannot
 * show through by more than that, and the new one is stabilised at once as far as that allows. A
 * run's start (a part's warm-up) is no cut (docs/temporal-method.md, The guard after a cut).
 */
export const SHOT_GUARD_FRAMES = 5;
export const SHOT_GUARD_PSNR = 33;

/** `output` moved towards `own` along their difference, as far as it takes to be within `psnr` dB of it (RGB), in place. */
export function withinPsnr(own: Uint8Array, output: Uint8Array, bound: number): Uint8Array {
  const measured = psnr(own, output);
  if (measured >= bound) return output;
  const share = 10 ** ((measured - bound) / 20); // the difference scaled by this is `bound` dB from `own`
  // rounded towards `own`, so that the bound holds after rounding
  for (let i = 0; i < own.length; i++) output[i] = own[i] + Math.trunc(share * (output[i] - own[i]));
  return output;
}

/**
 * The frame shown from a blended one: the detail gain, then, on a guarded frame, the guard's bound
 * again, as the gain takes the frame further from its own stylization than the blend did.
 */
export function shownFrame(detailGain: DetailGain, frame: BlendedFrame & { own: Uint8Array }, gain: number, guarded: boolean): Uint8Array {
  const shown = detailGain.apply(frame, gain);
  return guarded ? withinPsnr(frame.own, shown, SHOT_GUARD_PSNR) : shown;
}

/**
 * Frames the stage holds back at a strength: it finishes each frame with the next ones'
 * stylizations, so a render stylizes that many frames past the last part it writes (src/job/video.ts, plannedRuns),
 * and parts rendered apart end as an uninterrupted run ends them.
 */
export function lookaheadFrames(strength: number): number {
  return strength > 0 ? LOOKAHEAD_FRAMES : 0;
}

/**
 * The stage's method, recorded in a render's parts folder: parts an older stage made would not
 * join seamlessly with these, so they are not resumed into this render.
 */
export const TEMPORAL_METHOD = 'flow blend, its low band apart, two frames ahead, cuts by colour, shots guarded at 33 dB after cuts and fades, soft fades by their run, fine band restored by the blend weight, two Farnebäck iterations';

/** A frame held until the look-ahead's frames after it arrive, with the motion back to the one before it. */
interface HeldFrame {
  input: RgbFrame;
  stylized: RgbFrame;
  gray: Gray;
  /** the colour distance from the frame before where it is a jump (cuts.ts), else 0 */
  jump: number;
  /** whether the pair before it is part of a cross-fade (cuts.ts): the frame is guarded, and the guard starts again from it */
  fade: boolean;
  /** whether a hard cut lies before it: a jump, and a calm pair after it */
  cut?: boolean;
  motion?: Motion;
  /** the motion from it to the next frame, once that has come */
  ahead?: Motion;
  /** the trust in `ahead` at the frame's size, once a look-ahead mix has needed it: the frame before mixes through it, then the frame itself */
  aheadTrust?: Float32Array;
}

/** The stage's description from its options, as its `name` gives it, without building it. */
export function describeTemporalStage(options: TemporalOptions): string {
  if (options.strength === 0) return 'off';
  const gain = options.detail ?? DETAIL_DEFAULT;
  const detail = gain !== DETAIL_DEFAULT ? `, detail ${gain}` : '';
  return `${TEMPORAL_METHOD}, strength ${options.strength}${detail}${options.flowOnBackend ? ' (flow on the GPU)' : ''}`;
}

export function createTemporalStage(options: TemporalOptions): Promise<TemporalStage> {
  return createTemporalStageWith(options, {});
}

/** The stage with research hooks (`ResearchHooks`): research/temporal-offline.js measures the variants through it. */
export async function createTemporalStageWith(options: TemporalOptions, research: ResearchHooks): Promise<TemporalStage> {
  const strength = options.strength;
  if (strength === 0) return { name: describeTemporalStage(options), lookahead: lookaheadFrames(0), next: (input, stylized) => [{ input, output: stylized }], end: () => [] };
  const cutCoverage = options.cutCoverage ?? CUT_COVERAGE;
  const detail = options.detail ?? DETAIL_DEFAULT;
  if (!(detail >= 1 && detail <= 2)) throw new RangeError(`the detail gain is ${detail}: give one from 1 to 2`);
  let detailGain: DetailGain | undefined;
  const flows = options.analysedAhead ? undefined : await stageFlows(options.flowOnBackend ?? false);
  const aheadFrames = research.ahead?.frames ?? lookaheadFrames(strength);
  if (!(Number.isInteger(aheadFrames) && aheadFrames >= 1)) throw new RangeError(`the look-ahead is ${aheadFrames} frames: give a whole number from 1`);
  const held: HeldFrame[] = []; // the frames not yet finished, oldest first: the look-ahead's
  const cuts = new ColourCuts();
  let previousOutput: Uint8Array | undefined;
  let warped: Float32Array | undefined; // reused from frame to frame: a full-size float frame is megabytes
  const spareTrusts: Float32Array[] = []; // held frames' trust buffers, back from finished frames
  let weights: BlendWeights | undefined;
  let trust: Float32Array | undefined;
  let lambdaSteps = 0; // the last frame's: neighbouring frames mostly need the same
  let lookaheadBelowFloor = false; // whether the last look-ahead mix alone fell under the SSIM floor: only which check runs first
  let shotFrame = Infinity; // the last finished frame's place in its shot since a cut: a run's start is no cut

  /** The trust in the motion from `frame` to the next at the frame's size, upsampled once while the frame is held. */
  function trustAhead(frame: HeldFrame): Float32Array {
    const { width, height } = frame.stylized;
    return (frame.aheadTrust ??= upsampleMask(frame.ahead!.mask, frame.gray.width, frame.gray.height, width, height, spareTrusts.pop()));
  }

  /** The look-ahead mix: the frame's stylization mixed with `next` (the next frame's, or its own mix), brought back along the motion from this frame to the next. */
  function lookaheadMix(frame: HeldFrame, next: Uint8Array, share = LOOKAHEAD_WEIGHT): Uint8Array {
    const { width, height, data } = frame.stylized;
    return mixWarpedBilinear(data, next, frame.ahead!.backward, share, trustAhead(frame), width, height);
  }

  /**
   * What `frame` is finished with: its stylization, or its look-ahead mix with the frames after it
   * in its shot (`after`, nearest first), and where that reaches past the next frame, the mix
   * with the next frame alone, made if asked (finish).
   */
  function targetOf(frame: HeldFrame, after: HeldFrame[]): { target: Uint8Array; nearer?: () => Uint8Array } {
    // Across a cut (or a jump that may be one), the shot's last frame ends as a video's last frame
    // does; the first frame after a cut is its own stylization, nothing of either shot mixed in.
    const startsShot = (f: HeldFrame) => f.cut || (f.motion !== undefined && f.motion.coverage < cutCoverage);
    if (startsShot(frame)) return { target: frame.stylized.data };
    // How far the mix reaches: frames in the same shot, each pair's motion trusted enough.
    let reach = 0;
    for (let from = frame; reach < after.length; from = after[reach++]) {
      if (after[reach].jump > 0) break; // a jump of the colours: a cut or a fade's frame
      if (from.ahead === undefined || from.ahead.coverage < cutCoverage) break; // a cut by motion
      if (reach > 0 && startsShot(from)) break; // the frame before starts a shot of its own
    }
    if (reach === 0) return { target: frame.stylized.data };
    let next = after[reach - 1].stylized.data;
    for (let k = reach - 2; k >= 0; k--) next = lookaheadMix(after[k], next, research.ahead?.share);
    const nextAlone = after[0].stylized.data;
    return { target: lookaheadMix(frame, next), nearer: reach > 1 ? () => lookaheadMix(frame, nextAlone) : undefined };
  }

  /** The weights' buffers for frames of this size: a new size starts the floor's search afresh. */
  function weightsFor(width: number, height: number): BlendWeights {
    if (weights?.width !== width || weights.height !== height) {
      weights = new BlendWeights(width, height, Math.min(LOW_BAND_WEIGHT, strength));
      lambdaSteps = 0;
    }
    return weights;
  }

  /** The held frame's output: `target` (its stylization, or the look-ahead mix) blended with the previous output. */
  function finish(frame: HeldFrame, { target, nearer }: { target: Uint8Array; nearer?: () => Uint8Array }): FinishedFrame {
    const { input, stylized, motion } = frame;
    const { width, height } = input;
    const buffers = weightsFor(width, height);
    const mixed = target !== stylized.data;
    // What it is blended with: nothing after a run's first frame or a cut.
    const past = motion && previousOutput && !frame.cut && motion.coverage >= cutCoverage ? { motion, output: previousOutput } : undefined;
    // The look-ahead mix is looked at alone first where there is nothing to blend it with, or where
    // the last frame's fell under the floor (this one's mostly does too): for less than a blend's
    // statistics. A blend's similarity rises with λ towards the mix's own, so a mix under the
    // floor alone is given up, as the search would give it up.
    let mixAlone = mixed && (!past || lookaheadBelowFloor) ? buffers.compare(stylized.data, target) : undefined;
    if (mixAlone !== undefined && mixAlone < SSIM_FLOOR && nearer) {
      target = nearer();
      nearer = undefined;
      mixAlone = buffers.compare(stylized.data, target);
    }
    if (mixAlone !== undefined && mixAlone < SSIM_FLOOR) target = stylized.data;
    let output = target;
    let fineWeight: Float32Array | undefined;
    let ownEnergy: number | undefined; // the detail gain's bound, from the blend statistics where their windows are the gain's (else the gain measures it)
    // A shot begins at a cut, not at a run's first frame: a part's warm-up starts as it did.
    shotFrame = past ? (frame.fade ? 0 : shotFrame + 1) : motion && previousOutput ? 0 : Infinity;
    if (!past) lambdaSteps = 0;
    else {
      warped = (research.historyWarp ?? warpRgb)(past.output, past.motion.backward, width, height, warped);
      trust = upsampleMask(past.motion.mask, frame.gray.width, frame.gray.height, width, height, trust);
      let statistics = buffers.measure(stylized.data, warped, target);
      const withMix = target !== stylized.data;
      // Reachable is asked of the mix alone, not with its low band: where the band takes a mix
      // under the floor at every λ, the mix stays, at the highest λ (docs/temporal-method.md).
      const first = statistics;
      let floor = fewestLambdaSteps(statistics, trust, strength, lambdaSteps, () => !withMix || (mixAlone ?? first.similarity()) >= SSIM_FLOOR);
      if (!floor.reachable && nearer) {
        // The mix reaching further ahead is under the floor alone: the mix with the next frame alone.
        target = nearer();
        statistics = buffers.measure(stylized.data, warped, target);
        const nearest = statistics;
        floor = fewestLambdaSteps(statistics, trust, strength, floor.steps, () => nearest.similarity() >= SSIM_FLOOR);
      }
      if (!floor.reachable) {
        // The next frame's share alone takes the frame under the floor: without it.
        target = stylized.data;
        statistics = buffers.measure(stylized.data, warped);
        floor = fewestLambdaSteps(statistics, trust, strength, lambdaSteps);
      }
      lambdaSteps = floor.steps;
      const weight = statistics.weights(strength, lambdaAfter(lambdaSteps));
      fineWeight = research.fineWeight?.({ target, warped, weight, trust, width, height }) ?? weight;
      if (detail !== 1 && !research.shown) ownEnergy = statistics.ownFineEnergy(DETAIL_RADIUS);
      output = blend(stylized.data, warped, fineWeight, trust, width, height, target, statistics.band);
      if (shotFrame < SHOT_GUARD_FRAMES) output = withinPsnr(stylized.data, output, SHOT_GUARD_PSNR);
    }
    if (mixed) lookaheadBelowFloor = target === stylized.data;
    if (research.shown) {
      const shown = research.shown.make({ stylized: stylized.data, target, output, backward: past?.motion.backward, trust: past && trust, weight: fineWeight, aheadTrust: target !== stylized.data ? frame.aheadTrust : undefined, width, height });
      previousOutput = research.shown.inHistory === false ? output : shown;
      return { input, output: { ...stylized, data: shown } };
    }
    previousOutput = output;
    // The detail gain acts on the frame shown alone, where the past was blended in (in proportion to
    // its weight); the guard's bound holds for what is shown.
    if (detail === 1 || !fineWeight || !trust) return { input, output: { ...stylized, data: output } };
    if (detailGain?.width !== width || detailGain.height !== height) detailGain = new DetailGain(width, height);
    const shown = shownFrame(detailGain, { mix: output, own: stylized.data, ownEnergy, weight: fineWeight, trust }, detail, shotFrame < SHOT_GUARD_FRAMES);
    return { input, output: { ...stylized, data: shown } };
  }

  /** The oldest held frame finished (with the frames held after it, or `alone`), and let go of: its trust buffer serves the frames to come. */
  function finishOldest(alone = false): FinishedFrame {
    const oldest = held.shift()!;
    const finished = finish(oldest, alone ? { target: oldest.stylized.data } : targetOf(oldest, held));
    if (oldest.aheadTrust) spareTrusts.push(oldest.aheadTrust);
    oldest.aheadTrust = undefined;
    return finished;
  }

  return {
    name: describeTemporalStage(options),
    lookahead: aheadFrames,
    next(input, stylized, analysis) {
      const before = held.at(-1);
      if (!analysis && !flows) throw new Error('the temporal stage was told every frame comes analysed, and one came without');
      const { gray, colours, pair } = analysis ?? analyseInput(input, before?.gray, flows!);
      const step = cuts.step(colours);
      const frame: HeldFrame = { input, stylized, gray, fade: step.fade, jump: step.jump };
      held.push(frame);
      if (!before) return [];
      // A jump of the colours followed by a calm pair is a hard cut, and the new shot starts
      // afresh; jumps one after another are a fade, whose frames are guarded (finish).
      before.cut = step.previousStartsShot;
      if (!pair) throw new Error(`frame ${input.index} came analysed without the frame before it`);
      frame.motion = pair.back;
      before.ahead = pair.ahead;
      if (held.length <= aheadFrames) return [];
      return [finishOldest()];
    },
    end() {
      const last = held.at(-1);
      if (last) last.cut = last.jump > 0; // nothing after it to tell a cut from a fade: the safer
      const finished: FinishedFrame[] = [];
      while (held.length > 0) finished.push(finishOldest(held[0] === last));
      return finished;
    },
  };
}

/** The mask, at the flow's size, brought to the frame's bilinearly (which also softens its edges), into `into`. */
export function upsampleMask(mask: Float32Array, maskWidth: number, maskHeight: number, width: number, height: number, into?: Float32Array): Float32Array {
  const trust = into?.length === width * height ? into : new Float32Array(width * height);
  const across = resizeTaps(maskWidth, width);
  const down = resizeTaps(maskHeight, height);
  for (let y = 0, p = 0; y < height; y++) {
    const top = down.low[y] * maskWidth, bottom = down.high[y] * maskWidth, fy = down.weight[y];
    for (let x = 0; x < width; x++, p++) {
      const l = across.low[x], r = across.high[x], fx = across.weight[x];
      trust[p] = (mask[top + l] * (1 - fx) + mask[top + r] * fx) * (1 - fy) + (mask[bottom + l] * (1 - fx) + mask[bottom + r] * fx) * fy;
    }
  }
  return trust;
}

/**
 * target + trust·(band.weight·L + weight·(d − L)) with d = warped − target (the stylized frame,
 * unless mixed with the next) and L its low band (each channel's 9x9 means, edges replicated, as
 * BlendWeights measured it; none without a band), then each channel's mean moved back to the
 * stylized frame's: repeated resampling and masking otherwise creep (darker, flatter) over time.
 * The mix is written over `warped`.
 */
export function blend(stylized: Uint8Array, warped: Float32Array, weight: Float32Array, trust: Float32Array, width: number, height: number, target = stylized, band?: LowBand): Uint8Array {
  const mixed = warped;
  const low = band?.low, lowWeight = band?.weight ?? 0;
  let mixedR = 0, mixedG = 0, mixedB = 0, ownR = 0, ownG = 0, ownB = 0;
  for (let i = 0, p = 0, n = width * height; p < n; i += 3, p++) {
    const w = trust[p] * weight[p];
    const sr = target[i], sg = target[i + 1], sb = target[i + 2];
    let mr = sr + w * (warped[i] - sr), mg = sg + w * (warped[i + 1] - sg), mb = sb + w * (warped[i + 2] - sb);
    if (low) {
      const wl = trust[p] * lowWeight - w;
      mr += wl * low[i]; mg += wl * low[i + 1]; mb += wl * low[i + 2];
    }
    mixed[i] = mr; mixed[i + 1] = mg; mixed[i + 2] = mb;
    mixedR += mr; mixedG += mg; mixedB += mb;
    ownR += stylized[i]; ownG += stylized[i + 1]; ownB += stylized[i + 2];
  }
  const pixels = width * height;
  const shiftR = (ownR - mixedR) / pixels, shiftG = (ownG - mixedG) / pixels, shiftB = (ownB - mixedB) / pixels;
  const out = new Uint8ClampedArray(stylized.length); // clamps to 0..255 and rounds to nearest
  for (let i = 0; i < out.length; i += 3) {
    out[i] = mixed[i] + shiftR;
    out[i + 1] = mixed[i + 1] + shiftG;
    out[i + 2] = mixed[i + 2] + shiftB;
  }
  return new Uint8Array(out.buffer);
}
