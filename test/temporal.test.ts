// The temporal stage on sequences the test makes: a static scene with flicker, a hard cut, a pan.
import { describe, expect, it } from 'vitest';
import { createTemporalStage, type RgbFrame, type TemporalStage } from 'stylize-video';
import { LOOKAHEAD_FRAMES, LOOKAHEAD_WEIGHT, LOW_BAND_WEIGHT, SHOT_GUARD_FRAMES, SHOT_GUARD_PSNR, lookaheadFrames, LAMBDA_STEPS, LAMBDA_STEP, SSIM_FLOOR, blend, createTemporalStageWith, shownFrame, stageFlows } from '../src/temporal/index.js';
import { DETAIL_RADIUS, DetailGain } from '../src/temporal/detail-gain.js';
import { BlendWeights, STRUCTURE_LAMBDA } from '../src/temporal/blend-weights.js';
import { colourBin, colourHistogram, ColourCuts, FADE_DISTANCE, FADE_LOW, FADE_RUN, histogramDistance, isolatedJump } from '../src/temporal/cuts.js';
import { CUT_COVERAGE, flowImage, trustedMotion, type FlowMethod } from '../src/temporal/motion.js';
import { sample, type Flow, type Gray } from '../src/temporal/image.js';
import { FineKeyframe } from '../src/temporal/research/fine-keyframe.js';
import { FineBandFilter } from '../src/temporal/research/fine-band-filter.js';
import { FineSelection } from '../src/temporal/research/selective-blend.js';
import { resizeFlow, warpRgb } from '../src/temporal/warp.js';
import { psnr } from './helpers/media.js';

const flows = await stageFlows(false);

/** The stage's motion between two frames: its flows computed both ways, then its two checks. */
const motionAlongFlow = (previous: Gray, current: Gray, scale: number, flow: FlowMethod, forwardFlow: FlowMethod) =>
  trustedMotion(previous, current, flow(current, previous), forwardFlow(previous, current), scale);

const W = 96;
const H = 64;

function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A textured picture; `shift` moves its content right. */
function picture(seed: number, shift = 0): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++) {
        const u = x - shift;
        data[(y * W + x) * 3 + c] = 128 + 90 * Math.sin(u * 0.21 + c + seed) * Math.cos(y * 0.17 - seed * c) + 20 * Math.sin((u + y) * 0.05 * (c + 1));
      }
  return data;
}

/** A "stylization" that flickers: the true picture plus fresh noise every frame. */
function flickering(truth: Uint8Array, rand: () => number, amount = 24): Uint8Array {
  return truth.map((v) => Math.max(0, Math.min(255, v + (rand() - 0.5) * 2 * amount)));
}

// Two shots of one brightness and texture scale whose colours differ, as two real camera shots
// do: the flow can carry one onto the other, the colours cannot.
const recoloured = (d: Uint8Array) => d.map((_, i) => d[i - (i % 3) + ((i % 3) + 1) % 3] * 0.6 + 40);
const frame = (index: number, data: Uint8Array): RgbFrame => ({ index, width: W, height: H, data });
const meanOf = (d: Uint8Array) => d.reduce((a, b) => a + b, 0) / d.length;
const rmse = (a: Uint8Array, b: Uint8Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);

/** Every frame's output, in order: the frames through `next` (which holds frames back for the look-ahead), then `end`. */
function outputsOf(stage: TemporalStage, frames: Array<{ input: Uint8Array; stylized: Uint8Array }>, make = frame): Uint8Array[] {
  const finished = frames.flatMap(({ input, stylized }, t) => stage.next(make(t, input), make(t, stylized)));
  finished.push(...stage.end());
  finished.forEach(({ output, input }, t) => expect([output.index, input.index]).toEqual([t, t]));
  return finished.map(({ output }) => output.data);
}

describe('temporal stage', () => {
  it('on a static scene, removes flicker without drifting over 150 frames', async () => {
    const stage = await createTemporalStage({ strength: 0.9 });
    const input = picture(1);
    const truth = picture(7);
    const rand = random(3);
    const frames = Array.from({ length: 150 }, () => ({ input, stylized: flickering(truth, rand) }));
    const outputs = outputsOf(stage, frames);
    const stylizedMean = frames.reduce((m, f) => m + meanOf(f.stylized), 0);
    const outputMean = outputs.reduce((m, o) => m + meanOf(o), 0);
    // Flicker: the output sits closer to the noiseless stylization than any single frame does.
    for (const t of [75, 149]) expect(rmse(outputs[t], truth)).toBeLessThan(0.6 * rmse(frames[t].stylized, truth));
    // No drift: the mean stays with the per-frame stylization's (within 0.3%).
    expect(Math.abs(outputMean / stylizedMean - 1)).toBeLessThan(0.003);
    expect(Math.abs(meanOf(outputs[149]) / meanOf(frames[149].stylized) - 1)).toBeLessThan(0.003);
  });

  it('restarts at a hard cut to a darker shot: nothing of the previous shot shows, nor of the next in the last frame before it', async () => {
    const rand = random(5);
    const before = Array.from({ length: 10 }, () => ({ input: picture(1), stylized: flickering(picture(2), rand) }));
    const afterCut = picture(40).map((v) => v * 0.5);
    const after = { input: afterCut, stylized: flickering(afterCut.map((v) => 255 - v), rand) };
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), [...before, after]);
    expect(Array.from(outputs[10])).toEqual(Array.from(after.stylized));
    // the shot's last frame is finished as the end of a video would be
    expect(Array.from(outputs[9])).toEqual(Array.from(outputsOf(await createTemporalStage({ strength: 0.9 }), before)[9]));
  });

  // Between two shots of the same brightness and texture scale, Farnebäck's flow warps one onto
  // the other well enough that 80% of pixels pass the brightness check; the colours still differ.
  it('restarts at a hard cut between two shots alike in brightness and texture', async () => {
    const rand = random(5);
    const before = Array.from({ length: 10 }, () => ({ input: picture(1), stylized: flickering(picture(2), rand) }));
    const afterCut = picture(40);
    const stylized = flickering(afterCut.map((v) => 255 - v), rand);
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), [...before, { input: afterCut, stylized }]);
    expect(Array.from(outputs[10])).toEqual(Array.from(stylized));
  });

  it('restarts at a hard cut that the colours show: the first frame after it is its own stylization', async () => {
    const rand = random(5);
    const before = Array.from({ length: 10 }, () => ({ input: picture(1), stylized: flickering(picture(2), rand) }));
    const afterCut = recoloured(picture(40));
    const after = { input: afterCut, stylized: flickering(afterCut.map((v) => 255 - v), rand) };
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), [...before, after]);
    expect(Array.from(outputs[10])).toEqual(Array.from(after.stylized));
    // with the new shot going on, too: nothing of the next frame is mixed into it either
    const shot = Array.from({ length: 3 }, () => ({ input: afterCut, stylized: flickering(afterCut.map((v) => 255 - v), rand) }));
    const joined = outputsOf(await createTemporalStage({ strength: 0.9 }), [...before, ...shot]);
    expect(Array.from(joined[10])).toEqual(Array.from(shot[0].stylized));
  });

  /** Pearson correlation of two equal-length sequences. */
  const correlation = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const n = a.length;
    let ma = 0, mb = 0;
    for (let i = 0; i < n; i++) { ma += a[i] / n; mb += b[i] / n; }
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < n; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
    return ab / Math.sqrt(aa * bb);
  };

  it('after a hard cut, the new shot\'s first frames stay within the guard of their own stylizations, with nothing of the old shot, then blend fully', async () => {
    const rand = random(5);
    const oldTruth = picture(2);
    const before = Array.from({ length: 10 }, () => ({ input: picture(1), stylized: flickering(oldTruth, rand) }));
    const afterCut = recoloured(picture(40));
    const newTruth = afterCut.map((v) => 255 - v);
    const shot = Array.from({ length: 14 }, () => ({ input: afterCut, stylized: flickering(newTruth, rand) }));
    const frames = [...before, ...shot];
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), frames);
    expect([SHOT_GUARD_FRAMES, SHOT_GUARD_PSNR]).toEqual([5, 33]);
    expect(Array.from(outputs[10])).toEqual(Array.from(frames[10].stylized));
    for (let k = 1; k < 14; k++) {
      const t = 10 + k;
      const own = frames[t].stylized;
      // the first five frames (k < 5) within 33 dB of their own stylizations, and blended up to it
      // (the full blend is far further)
      if (k < 5) expect(psnr(outputs[t], own)).toBeGreaterThanOrEqual(SHOT_GUARD_PSNR);
      if (k < 5) expect(psnr(outputs[t], own)).toBeLessThan(SHOT_GUARD_PSNR + 1);
      else expect(psnr(outputs[t], own)).toBeLessThan(SHOT_GUARD_PSNR - 1);
      // no ghost: what the output adds to the new shot's picture does not follow the old shot's
      const residual = Array.from(outputs[t], (v, i) => v - newTruth[i]);
      expect(Math.abs(correlation(residual, oldTruth))).toBeLessThan(0.05);
    }
    // the guarded frames already take flicker out, and the full blend after them more
    expect(rmse(outputs[11], newTruth)).toBeLessThan(rmse(frames[11].stylized, newTruth));
    expect(rmse(outputs[23], newTruth)).toBeLessThan(rmse(outputs[11], newTruth));
  });

  it('keeps a run\'s first frames as they were: a run starting is not a cut, so parts\' warm-ups begin at the full blend', async () => {
    const rand = random(5);
    const truth = picture(2);
    const frames = Array.from({ length: 4 }, () => ({ input: picture(1), stylized: flickering(truth, rand) }));
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), frames);
    // guarded (as after a cut) the second frame would sit within 33 dB of its own stylization; the full blend moves it far more
    expect(rmse(outputs[1], frames[1].stylized)).toBeGreaterThan(0.3 * rmse(frames[0].stylized, frames[1].stylized));
  });

  it('through a cross-fade between two shots, each frame stays within the guard of its own stylization, and so do the four after it', async () => {
    const rand = random(7);
    const a = picture(1), b = recoloured(picture(40));
    const mixOf = (s: number) => a.map((v, i) => Math.round(v * (1 - s) + b[i] * s));
    const inputs = [...Array.from({ length: 8 }, () => a), ...Array.from({ length: 3 }, (_, j) => mixOf((j + 1) / 4)), ...Array.from({ length: 11 }, () => b)];
    // the fade's pairs move the colours as a fade does
    for (let t = 8; t < 12; t++) expect(histogramDistance(colourHistogram(frame(t, inputs[t - 1])), colourHistogram(frame(t, inputs[t])))).toBeGreaterThanOrEqual(FADE_DISTANCE);
    const frames = inputs.map((input) => ({ input, stylized: flickering(input.map((v) => 255 - v), rand) }));
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), frames);
    // the fade's frames (8-11) and the four after it: blended (not their own stylizations; the full
    // blend is far further, and a blend there may already sit within the guard), then held within
    // 33 dB of their own; the full blend from the fifth after the fade's last
    for (let t = 8; t < 16; t++) {
      expect(psnr(outputs[t], frames[t].stylized)).toBeGreaterThanOrEqual(SHOT_GUARD_PSNR);
      expect(psnr(outputs[t], frames[t].stylized)).toBeLessThan(SHOT_GUARD_PSNR + 1.5); // at most 34.1 here
    }
    expect(psnr(outputs[16], frames[16].stylized)).toBeLessThan(SHOT_GUARD_PSNR - 1);
  });

  it('through a soft cross-fade between shots of near colours, each frame from the run\'s third pair on stays within the guard of its own stylization', async () => {
    const rand = random(11);
    const a = picture(1), b = picture(2);
    const mixOf = (s: number) => a.map((v, i) => Math.round(v * (1 - s) + b[i] * s));
    const inputs = [...Array.from({ length: 8 }, () => a), ...Array.from({ length: 10 }, (_, j) => mixOf((j + 1) / 11)), ...Array.from({ length: 10 }, () => b)];
    // every pair of the fade is under a hard fade's distance, and over the soft fade's least
    for (let t = 8; t <= 18; t++) {
      const d = histogramDistance(colourHistogram(frame(t, inputs[t - 1])), colourHistogram(frame(t, inputs[t])));
      expect(d).toBeGreaterThanOrEqual(FADE_LOW);
      expect(d).toBeLessThan(FADE_DISTANCE);
    }
    const frames = inputs.map((input) => ({ input, stylized: flickering(input.map((v) => 255 - v), rand) }));
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), frames);
    // the run is a fade from its third pair (frame 10) to its last (frame 18)
    expect(FADE_RUN).toBe(3);
    // before the run is long enough, the frame is blended as any other, past the guard
    expect(psnr(outputs[9], frames[9].stylized)).toBeLessThan(SHOT_GUARD_PSNR - 1);
    // the run's frames from its third (10-18) and the four after it: blended (not their own
    // stylizations; a blend there may already sit within the guard), then held within 33 dB of
    // their own; the full blend from the fifth after the fade's last
    for (let t = 10; t < 23; t++) {
      expect(psnr(outputs[t], frames[t].stylized)).toBeGreaterThanOrEqual(SHOT_GUARD_PSNR);
      expect(psnr(outputs[t], frames[t].stylized)).toBeLessThan(SHOT_GUARD_PSNR + 1.5); // at most 34.1 here
    }
    expect(psnr(outputs[23], frames[23].stylized)).toBeLessThan(SHOT_GUARD_PSNR - 1);
  });

  it('takes a soft fade only from a run: a lone jump of a shot, or a run near the recent pairs, is none', () => {
    const calm = [0.02, 0.03, 0.02, 0.04, 0.03];
    const soft = new ColourCuts();
    calm.forEach((d) => soft.isJump(d));
    const ask = (cuts: ColourCuts, d: number) => { const fade = cuts.isFade(d, false); cuts.isJump(d); return fade; };
    // a run of pairs at the soft fade's distance, far over the median: a fade from its third pair, while it holds
    expect([0.15, 0.16, 0.15, 0.17, 0.03].map((d) => ask(soft, d))).toEqual([false, false, true, true, false]);
    // a lone pair (grain, a flash) starts no run
    const lone = new ColourCuts();
    calm.forEach((d) => lone.isJump(d));
    expect([0.19, 0.03, 0.19, 0.03, 0.19].map((d) => ask(lone, d))).toEqual([false, false, false, false, false]);
    // a fast shot whose pairs already read 0.07: a run at twice that is motion, not a fade
    const fast = new ColourCuts();
    [0.07, 0.08, 0.07, 0.06, 0.07].forEach((d) => fast.isJump(d));
    expect([0.14, 0.15, 0.16, 0.15].map((d) => ask(fast, d))).toEqual([false, false, false, false]);
  });

  it('bins every 8-bit colour as OpenCV\'s HSV formulas in floating point do (the stage\'s 16x8x8 histogram, as before)', () => {
    // written out as OpenCV's RGB to HSV gives it: hue in degrees from the largest channel's sector, saturation range/max
    const naiveBin = (r: number, g: number, b: number): number => {
      const max = Math.max(r, g, b), range = max - Math.min(r, g, b);
      let hue = range === 0 ? 0 : max === r ? (60 * (g - b)) / range : max === g ? 120 + (60 * (b - r)) / range : 240 + (60 * (r - g)) / range;
      if (hue < 0) hue += 360;
      const saturation = max > 0 ? range / max : 0;
      return (Math.min(15, Math.floor((hue / 360) * 16)) * 8 + Math.min(7, Math.floor(saturation * 8))) * 8 + Math.min(7, Math.floor((max / 256) * 8));
    };
    let differing = 0;
    for (let r = 0; r < 256; r++) for (let g = 0; g < 256; g++) for (let b = 0; b < 256; b++) if (colourBin(r, g, b) !== naiveBin(r, g, b)) differing++;
    expect(differing).toBe(0);
  });

  it('tells a cut from a fade: a jump of the colours is a cut only where the pair after it is calm', () => {
    const flat = (r: number, g: number, b: number): RgbFrame => ({ index: 0, width: 2, height: 1, data: Uint8Array.of(r, g, b, r, g, b) });
    // one colour each, in different bins: disjoint distributions, the largest distance; the same: none
    expect(histogramDistance(colourHistogram(flat(200, 20, 20)), colourHistogram(flat(20, 20, 200)))).toBeCloseTo(1, 6);
    expect(histogramDistance(colourHistogram(flat(200, 20, 20)), colourHistogram(flat(200, 20, 20)))).toBeCloseTo(0, 6);
    // half the pixels moved to another bin: √(1 − √(½·1)) = 0.541
    const half: RgbFrame = { index: 0, width: 2, height: 1, data: Uint8Array.of(200, 20, 20, 20, 20, 200) };
    expect(histogramDistance(colourHistogram(flat(200, 20, 20)), colourHistogram(half))).toBeCloseTo(Math.sqrt(1 - Math.SQRT1_2), 6);
    const cuts = new ColourCuts();
    const calm = [0.02, 0.03, 0.02, 0.04, 0.03];
    expect(calm.map((d) => cuts.isJump(d))).toEqual([false, false, false, false, false]);
    // 0.3 is under the distance a cut needs; 0.5 over it, and over 8 times the median (0.03)
    expect([0.3, 0.5].map((d) => cuts.isJump(d))).toEqual([false, true]);
    expect([isolatedJump(0.5, 0.03), isolatedJump(0.5, 0.3)]).toEqual([true, false]);
    // a fade: far over the median to start, and it goes on while the distance holds (each pair
    // asked of a fresh history, so that no run of soft-fade pairs forms)
    const afterCalm = () => { const fades = new ColourCuts(); calm.forEach((d) => fades.isJump(d)); return fades; };
    expect([afterCalm().isFade(FADE_DISTANCE - 0.01, false), afterCalm().isFade(FADE_DISTANCE, false), afterCalm().isFade(FADE_DISTANCE, true), afterCalm().isFade(FADE_DISTANCE - 0.01, true)]).toEqual([false, true, true, false]);
  });

  it('follows a pan: flicker falls, and the picture moves with the input', async () => {
    const rand = random(9);
    const truths = Array.from({ length: 20 }, (_, t) => picture(3, 1.5 * t));
    const frames = truths.map((truth, t) => ({ input: picture(11, 1.5 * t), stylized: flickering(truth, rand) }));
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9 }), frames);
    // Compared inside the frame, away from the edge the pan uncovers.
    const inner = (d: Uint8Array) => d.filter((_, i) => { const x = Math.floor(i / 3) % W; const y = Math.floor(i / 3 / W); return x > 40 && x < W - 8 && y > 8 && y < H - 8; });
    for (const t of [18, 19]) expect(rmse(inner(outputs[t]), inner(truths[t]))).toBeLessThan(0.75 * rmse(inner(frames[t].stylized), inner(truths[t])));
  });

  it('passes frames through untouched at strength 0', async () => {
    const stage = await createTemporalStage({ strength: 0 });
    const data = picture(2);
    expect(stage.next(frame(0, picture(1)), frame(0, data))[0].output.data).toBe(data);
    expect(stage.end()).toEqual([]);
  });

  it('holds back as many frames as a render plans to stylize after a part for it', async () => {
    for (const strength of [0, 0.5, 0.9]) {
      const stage = await createTemporalStage({ strength });
      expect(stage.lookahead).toBe(lookaheadFrames(strength));
      // the frames it takes before the first comes out
      let held = 0;
      while (stage.next(frame(held, picture(1)), frame(held, picture(2))).length === 0) held++;
      expect(held).toBe(stage.lookahead);
    }
    expect(lookaheadFrames(0.9)).toBe(2);
  });
});

describe('the detail gain', () => {
  /** The luma less its 5x5 mean, edges replicated, in doubles. */
  function naiveFine(rgb: Uint8Array, width = W, height = H): number[] {
    const luma = (x: number, y: number) => {
      const i = 3 * (Math.min(Math.max(y, 0), height - 1) * width + Math.min(Math.max(x, 0), width - 1));
      return 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
    };
    const fine: number[] = [];
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let mean = 0;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) mean += luma(x + dx, y + dy) / 25;
        fine.push(luma(x, y) - mean);
      }
    return fine;
  }
  const energy = (band: number[]) => band.reduce((e, f) => e + f * f, 0);

  /**
   * The rule written out in doubles: the mix's fine band f scaled up by (gain − 1)·w/0.5 where the
   * past weighs w, the added band scaled down by one factor (found by bisection) until the shown
   * band's energy is no more than the own stylization's (no bound without it), its mean taken back,
   * added to each channel.
   */
  function naiveDetail(mix: Uint8Array, own: Uint8Array | undefined, pastWeight: (k: number) => number, gain: number): Uint8Array {
    const fine = naiveFine(mix);
    const extra = fine.map((f, k) => ((gain - 1) / 0.5) * pastWeight(k) * f);
    const shownEnergy = (t: number) => energy(fine.map((f, k) => f + t * extra[k]));
    const allowed = own ? energy(naiveFine(own)) : Infinity;
    let t = 1;
    if (shownEnergy(1) > allowed) {
      let low = 0, high = 1;
      for (let i = 0; i < 60; i++) shownEnergy((low + high) / 2) > allowed ? (high = (low + high) / 2) : (low = (low + high) / 2);
      t = shownEnergy(0) >= allowed ? 0 : low;
    }
    const shift = extra.reduce((a, b) => a + b, 0) / extra.length;
    const out = new Uint8Array(mix.length);
    for (let k = 0; k < fine.length; k++)
      for (let c = 0; c < 3; c++) out[3 * k + c] = Math.min(255, Math.max(0, Math.round(mix[3 * k + c] + t * (extra[k] - shift))));
    return out;
  }

  const worstDifference = (a: Uint8Array, b: Uint8Array) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);

  it('scales the fine band by the gain where the past weighs half, in proportion elsewhere, as written out', () => {
    const rand = random(4);
    const mix = flickering(picture(3), rand, 10);
    const weight = Float32Array.from({ length: W * H }, () => 0.9 * rand());
    const trust = Float32Array.from({ length: W * H }, () => rand());
    const gain = new DetailGain(W, H);
    const fine = naiveFine(mix);
    // the mix with its fine band 1.1 times: sharper than the mix, less sharp than the gain would make it
    const littleSharper = Uint8Array.from(mix, (v, i) => Math.min(255, Math.max(0, Math.round(v + 0.1 * fine[Math.floor(i / 3)]))));
    // the own stylization sharper than the gain makes the mix (nothing held back), between (held back to its energy), no sharper (nothing added), flat (nothing added)
    for (const own of [flickering(picture(3), rand, 40), littleSharper, mix, new Uint8Array(W * H * 3).fill(90)]) {
      const shown = gain.apply({ mix, own, weight, trust }, 1.6);
      expect(worstDifference(shown, naiveDetail(mix, own, (k) => weight[k] * trust[k], 1.6))).toBeLessThanOrEqual(1);
    }
    // held back: the shown fine band about as strong as the own stylization's, and stronger than the mix's
    const heldBack = naiveFine(gain.apply({ mix, own: littleSharper, weight, trust }, 1.6));
    expect(energy(heldBack) / energy(naiveFine(littleSharper))).toBeCloseTo(1, 1);
    expect(energy(heldBack) / energy(fine)).toBeGreaterThan(1.1);
    expect(Array.from(gain.apply({ mix, own: mix, weight, trust }, 1.6))).toEqual(Array.from(mix));
    // a weight that follows the band's sign adds a band whose mean is not zero: taken back, as written out
    const leaning = Float32Array.from(fine, (f) => (f > 0 ? 0.9 : 0.1));
    const ones = new Float32Array(W * H).fill(1);
    const sharp = flickering(picture(3), rand, 40);
    expect(worstDifference(gain.apply({ mix, own: sharp, weight: leaning, trust: ones }, 1.6), naiveDetail(mix, sharp, (k) => leaning[k], 1.6))).toBeLessThanOrEqual(1);
  });

  it('takes its bound from the blend statistics where they have it: the own fine band written out, and exactly the measure the gain makes of it', () => {
    const rand = random(6);
    const mix = flickering(picture(3), rand, 10);
    const fine = naiveFine(mix);
    // the own stylization a little sharper than the mix: the gain is held back to its energy
    const own = Uint8Array.from(mix, (v, i) => Math.min(255, Math.max(0, Math.round(v + 0.1 * fine[Math.floor(i / 3)]))));
    const warped = Float32Array.from(flickering(picture(3), rand, 20));
    const statistics = new BlendWeights(W, H, LOW_BAND_WEIGHT).measure(own, warped, mix);
    const gain = new DetailGain(W, H);
    const ownEnergy = statistics.ownFineEnergy(DETAIL_RADIUS);
    expect(ownEnergy).toBe(gain.fineEnergy(own));
    expect(ownEnergy! / energy(naiveFine(own))).toBeCloseTo(1, 5);
    expect(statistics.ownFineEnergy(DETAIL_RADIUS + 1)).toBeUndefined();
    const weight = Float32Array.from({ length: W * H }, () => 0.9 * rand());
    const trust = new Float32Array(W * H).fill(1);
    const bounded = Array.from(gain.apply({ mix, ownEnergy, weight, trust }, 1.8));
    expect(bounded).toEqual(Array.from(gain.apply({ mix, own, weight, trust }, 1.8)));
    // the bound acted: without it the frame is another
    expect(bounded).not.toEqual(Array.from(gain.apply({ mix, weight, trust }, 1.8)));
  });

  it('acts on the frames the stage blends with the past, with the blend weight times the trust, and blends the next frame with the mix itself', async () => {
    // A pan whose stylization flickers, with a block whose content is new every frame (no motion
    // explains it: not trusted); the blend weight set through the research hook to one that varies
    // across the frame, so the rule's weight is known.
    const rand = random(9);
    const withNewBlock = (data: Uint8Array, t: number) => {
      const fresh = picture(50 + 7 * t);
      for (let y = 20; y < 50; y++) data.set(fresh.subarray((y * W + 60) * 3, (y * W + 90) * 3), (y * W + 60) * 3);
      return data;
    };
    const frames = Array.from({ length: 12 }, (_, t) => ({ input: withNewBlock(picture(11, 1.5 * t), t), stylized: flickering(withNewBlock(picture(3, 1.5 * t), t), rand) }));
    const across = Float32Array.from({ length: W * H }, (_, k) => 0.1 + 0.8 * ((k % W) / W));
    const outputs = async (detail: number) => {
      const trusts: Float32Array[] = [];
      const stage = await createTemporalStageWith({ strength: 0.9, detail }, { fineWeight: ({ trust }) => (trusts.push(Float32Array.from(trust)), across) });
      return { shown: outputsOf(stage, frames), trusts };
    };
    const blended = await outputs(1);
    const sharpened = await outputs(1.3);
    // at gain 2 the bound by the own stylization's fine-band energy holds on some frames, as written out
    const strongest = await outputs(2);
    let held = 0;
    for (let t = 1; t < frames.length; t++) {
      const pastWeight = (k: number) => across[k] * strongest.trusts[t - 1][k];
      expect(worstDifference(strongest.shown[t], naiveDetail(blended.shown[t], frames[t].stylized, pastWeight, 2))).toBeLessThanOrEqual(1);
      if (worstDifference(strongest.shown[t], naiveDetail(blended.shown[t], undefined, pastWeight, 2)) > 1) held++;
    }
    expect(held).toBeGreaterThan(0);
    // every frame after the first blended with the past, the same motion trusted in both runs
    expect(sharpened.trusts).toHaveLength(frames.length - 1);
    expect(sharpened.trusts.some((trust) => trust.some((v) => v < 0.5))).toBe(true);
    // the run's first frame had no past to blend with: shown as the stage made it
    expect(Array.from(sharpened.shown[0])).toEqual(Array.from(blended.shown[0]));
    for (let t = 1; t < frames.length; t++) {
      const trust = sharpened.trusts[t - 1];
      // the same blend as without the gain (the history is the blend, not the frame shown), scaled by the rule
      expect(worstDifference(sharpened.shown[t], naiveDetail(blended.shown[t], frames[t].stylized, (k) => across[k] * trust[k], 1.3))).toBeLessThanOrEqual(1);
      expect(energy(naiveFine(sharpened.shown[t])) / energy(naiveFine(blended.shown[t]))).toBeGreaterThan(1.2);
    }
  });

  it('refuses a gain outside 1..2', async () => {
    for (const detail of [0.5, 3, Number.NaN]) await expect(createTemporalStage({ strength: 0.9, detail })).rejects.toThrow(/detail gain .* from 1 to 2/);
  });

  it('keeps the guard after a hard cut: the frames shown stay within its bound of their own stylizations', async () => {
    const rand = random(5);
    const before = Array.from({ length: 10 }, () => ({ input: picture(1), stylized: flickering(picture(2), rand) }));
    const afterCut = recoloured(picture(40));
    const shot = Array.from({ length: 8 }, () => ({ input: afterCut, stylized: flickering(afterCut.map((v) => 255 - v), rand) }));
    const frames = [...before, ...shot];
    const outputs = outputsOf(await createTemporalStage({ strength: 0.9, detail: 2 }), frames);
    // the first frame after the cut is its own stylization: nothing was averaged away, nothing is scaled
    expect(Array.from(outputs[10])).toEqual(Array.from(frames[10].stylized));
    for (let t = 11; t < 10 + SHOT_GUARD_FRAMES; t++) expect(psnr(outputs[t], frames[t].stylized)).toBeGreaterThanOrEqual(SHOT_GUARD_PSNR);
  });

  it('keeps the guard on the frame shown where the gain alone would take a guarded frame past it', () => {
    // A flat grey with a fine texture of ±5 levels as the own stylization, and the grey with an
    // unrelated texture of ±2 as the mix: within the bound, until the gain scales the mix's
    // texture up towards the own's energy, and the two textures' difference with it.
    const rand = random(12);
    const texture = (amplitude: number) => Array.from({ length: W * H }, () => (rand() < 0.5 ? -amplitude : amplitude));
    const grey = (band: number[]) => Uint8Array.from({ length: W * H * 3 }, (_, i) => 128 + band[Math.floor(i / 3)]);
    const own = grey(texture(5));
    const mix = grey(texture(2));
    const frame = { mix, own, weight: new Float32Array(W * H).fill(0.9), trust: new Float32Array(W * H).fill(1) };
    const gain = new DetailGain(W, H);
    // the case needs the guard after the gain: the mix within its bound (about 33.5 dB), the gain alone not (about 31.2)
    expect(psnr(mix, own)).toBeGreaterThanOrEqual(SHOT_GUARD_PSNR);
    const gained = gain.apply(frame, 2);
    expect(psnr(gained, own)).toBeLessThan(SHOT_GUARD_PSNR);
    const guarded = shownFrame(gain, frame, 2, true);
    expect(psnr(guarded, own)).toBeGreaterThanOrEqual(SHOT_GUARD_PSNR);
    // brought back only as far as the bound asks: still sharper than the mix
    expect(energy(naiveFine(guarded)) / energy(naiveFine(mix))).toBeGreaterThan(2);
    // unguarded, the frame shown is the gain's
    expect(Array.from(shownFrame(gain, frame, 2, false))).toEqual(Array.from(gained));
  });
});

/** SSIM (Wang et al. 2004) of two frames' luma, over 5x5 windows with edges replicated, written out. */
function naiveSimilarity(a: ArrayLike<number>, b: ArrayLike<number>, width = W, height = H): number {
  const luma = (d: ArrayLike<number>, x: number, y: number) => {
    const i = 3 * (Math.min(Math.max(y, 0), height - 1) * width + Math.min(Math.max(x, 0), width - 1));
    return 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
  };
  const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  let total = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) {
          const u = luma(a, x + dx, y + dy), v = luma(b, x + dx, y + dy);
          sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v;
        }
      const ma = sa / 25, mb = sb / 25;
      const va = saa / 25 - ma * ma, vb = sbb / 25 - mb * mb, cov = sab / 25 - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    }
  return total / (width * height);
}

describe('the SSIM floor', () => {
  it("foresees the structural similarity of the blend, as SSIM written out measures it on the blend itself", () => {
    const rand = random(5);
    const stylized = flickering(picture(2), rand, 40);
    const warped = Float32Array.from(flickering(picture(3), rand, 30));
    const trust = Float32Array.from({ length: W * H }, (_, p) => (p % W < W / 3 ? 0 : rand()));
    // with and without a low band of the difference blended apart
    for (const lowWeight of [0, 0.7]) {
      const banded = new BlendWeights(W, H, lowWeight).measure(stylized, warped);
      for (const lambda of [100, 700, 5000]) {
        const weight = banded.weights(0.9, lambda);
        const blended = blend(stylized, warped.slice(), weight, trust, W, H, stylized, banded.band);
        // within what rounding the blend to 8 bits moves it (nothing clamps in this picture)
        expect(Math.abs(banded.similarity(weight, trust) - naiveSimilarity(blended, stylized))).toBeLessThan(2e-3);
      }
    }
    const weights = new BlendWeights(W, H);
    const statistics = weights.measure(stylized, warped);
    // nothing blended: the frame's own, 1 but for the stylized frame's window sums kept in float32
    expect(Math.abs(statistics.similarity(statistics.weights(0.9), new Float32Array(W * H)) - 1)).toBeLessThan(1e-7);
    // another frame's own similarity to the stylization (a look-ahead mix's), without a blend's
    // statistics; its mean moved to the stylization's, as the blend moves it
    const other = flickering(picture(2), rand, 40).map((v) => Math.max(0, v - 12));
    const mean = (d: Uint8Array) => d.reduce((a, v) => a + v, 0) / d.length;
    const shift = mean(stylized) - mean(other);
    const moved = Float32Array.from(other, (v) => v + shift);
    expect(Math.abs(shift)).toBeGreaterThan(5);
    expect(Math.abs(weights.compare(stylized, other) - naiveSimilarity(moved, stylized))).toBeLessThan(1e-6);
    // a compare leaves the measured statistics as they were: there is no order to keep
    expect(Math.abs(statistics.similarity(statistics.weights(0.9, 300), new Float32Array(W * H)) - 1)).toBeLessThan(1e-7);
  });

  it('keeps every frame within 0.01 of the floor in likeness to its own stylization, where a plain blend washes strokes out', async () => {
    const stage = await createTemporalStage({ strength: 0.9 });
    const input = picture(1);
    const rand = random(9);
    const truth = picture(4);
    let flickerIn = 0, flickerOut = 0, lowest = 1, lowestPlain = 1;
    let previous: { stylized: Uint8Array; output: Uint8Array } | undefined;
    let plain: Float64Array | undefined; // 0.9·previous + 0.1·new: the scene is still, so no warp
    // strokes redrawn every frame: the style's structure itself changes, as on handheld footage
    const frames = Array.from({ length: 12 }, () => ({ input, stylized: flickering(truth, rand, 30) }));
    const outputs = outputsOf(stage, frames);
    for (let t = 0; t < 12; t++) {
      const { stylized } = frames[t], output = outputs[t];
      plain = plain ? plain.map((v, i) => 0.9 * v + 0.1 * stylized[i]) : Float64Array.from(stylized);
      if (previous) {
        lowest = Math.min(lowest, naiveSimilarity(output, stylized));
        lowestPlain = Math.min(lowestPlain, naiveSimilarity(Uint8Array.from(plain, Math.round), stylized));
        flickerIn += rmse(stylized, previous.stylized);
        flickerOut += rmse(output, previous.output);
      }
      previous = { stylized, output };
    }
    expect(lowestPlain).toBeLessThan(SSIM_FLOOR - 0.1);
    // The floor holds the blend of each frame's target, its look-ahead mix; the mix's low band, which
    // no λ holds back, takes a mix of two frames ahead a little under it here (0.896), and giving the
    // mix up there cost more flicker on real footage for no SSIM (docs/temporal-method.md, The look-ahead mix).
    expect(lowest).toBeGreaterThanOrEqual(SSIM_FLOOR - 0.01);
    // ... and still steadier than the per-frame frames
    expect(flickerOut).toBeLessThan(0.9 * flickerIn);
  });
});

describe("the stage's mask in flat regions", () => {
  /** Mostly flat sky (one grey level plus faint sensor noise) with a textured bird flying across. */
  function sky(level: number, birdX: number, rand: () => number): Uint8Array {
    const data = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const bird = x >= birdX && x < birdX + 16 && y >= 24 && y < 40;
        const v = bird ? 128 + 100 * Math.sin(x * 1.3) * Math.cos(y * 0.9) : level + (rand() - 0.5) * 2;
        for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = v;
      }
    return data;
  }

  it('trusts a flat sky, where flow is a guess but warping cannot show it, so the blend does not restart', async () => {
    const rand = random(5);
    const a = frame(0, sky(150, 20, rand));
    const b = frame(1, sky(150, 23, rand));
    const motion = motionAlongFlow(flowImage(a), flowImage(b), 1, flows.backward, flows.forward);
    expect(motion.coverage).toBeGreaterThan(0.8);
    // Top-left sky, far from the bird: trusted.
    expect(motion.mask[4 * W + 4]).toBe(1);
  });

  it('still sees a cut between two flat shots of different brightness', async () => {
    const rand = random(6);
    const motion = motionAlongFlow(flowImage(frame(0, sky(60, 20, rand))), flowImage(frame(1, sky(200, 60, rand))), 1, flows.backward, flows.forward);
    expect(motion.coverage).toBeLessThan(CUT_COVERAGE);
  });
});

// The stage keeps flow and mask at the flow's size (half the frame, from 360 lines up) and brings
// them to full size while it warps and blends; its weights come from window statistics made with
// running sums. Checked here against the formula written out plainly at full size: flow resized
// first, each window summed pixel by pixel.
describe('the blend against the formula written out', () => {
  const FW = 400, FH = 360; // short side 360: the flow runs at 200x180
  /** Smooth texture with detail at every scale, as in the flow tests. */
  function texture(x: number, y: number, c: number): number {
    let v = 0.5;
    for (let k = 1; k <= 6; k++) v += (0.25 / k) * Math.sin(x * 0.045 * k + k * 1.7 + c + Math.cos(y * 0.025 * k)) * Math.cos(y * 0.035 * k - k - c);
    return Math.max(0, Math.min(255, 255 * v));
  }
  /** A textured background panning left, with a differently textured square moving right over it. */
  function scene(t: number): Uint8Array {
    const data = new Uint8Array(FW * FH * 3);
    for (let y = 0; y < FH; y++)
      for (let x = 0; x < FW; x++) {
        const inSquare = x >= 120 + 6 * t && x < 220 + 6 * t && y >= 100 && y < 220;
        for (let c = 0; c < 3; c++) data[(y * FW + x) * 3 + c] = inSquare ? texture(x - 6 * t + 500, y + 300, c) : texture(x + 2 * t, y, c);
      }
    return data;
  }
  const big = (index: number, data: Uint8Array): RgbFrame => ({ index, width: FW, height: FH, data });

  /** The 200x180 mask brought to 400x360 bilinearly, half-pixel centres, edges clamped. */
  function resizedMask(mask: Float32Array): Float32Array {
    const out = new Float32Array(FW * FH);
    for (let y = 0; y < FH; y++)
      for (let x = 0; x < FW; x++) {
        const sx = Math.min(Math.max((x + 0.5) / 2 - 0.5, 0), 199), sy = Math.min(Math.max((y + 0.5) / 2 - 0.5, 0), 179);
        const x0 = Math.floor(sx), y0 = Math.floor(sy), x1 = Math.min(x0 + 1, 199), y1 = Math.min(y0 + 1, 179);
        const fx = sx - x0, fy = sy - y0;
        out[y * FW + x] = (mask[y0 * 200 + x0] * (1 - fx) + mask[y0 * 200 + x1] * fx) * (1 - fy) + (mask[y1 * 200 + x0] * (1 - fx) + mask[y1 * 200 + x1] * fx) * fy;
      }
    return out;
  }

  /**
   * strength·E[d²] / (E[d²] + lambda·var(d) / (2·var(s) + (0.03·255)²)) over the 7x7 window (edges
   * replicated), d = luma(warped − stylized): the window statistics, for any lambda.
   */
  function naiveWindow(stylized: Uint8Array, warped: Float32Array, x: number, y: number): (strength: number, lambda: number) => number {
    const luma = (d: ArrayLike<number>, i: number) => 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    let s1 = 0, s2 = 0, d1 = 0, d2 = 0;
    for (let dy = -3; dy <= 3; dy++)
      for (let dx = -3; dx <= 3; dx++) {
        const i = 3 * (Math.min(Math.max(y + dy, 0), FH - 1) * FW + Math.min(Math.max(x + dx, 0), FW - 1));
        const s = luma(stylized, i), d = luma(warped, i) - s;
        s1 += s; s2 += s * s; d1 += d; d2 += d * d;
      }
    const varS = s2 / 49 - (s1 / 49) ** 2, energy = d2 / 49 + 1e-3, varD = energy - (d1 / 49) ** 2;
    return (strength, lambda) => (strength * energy) / (energy + (lambda * varD) / (2 * varS + (0.03 * 255) ** 2));
  }

  const worstDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  };

  /** Frame t's stylization with the look-ahead share of `next` (what frame t + 1 is mixed to) brought back along the motion from t to t + 1 where that is trusted, rounded. */
  function aheadMixWrittenOut(t: number, [inputT, inputNext]: Uint8Array[], stylizedT: Uint8Array, next: Uint8Array): Uint8Array {
    const ahead = motionAlongFlow(flowImage(big(t + 1, inputNext)), flowImage(big(t, inputT)), 2, flows.forward, flows.backward);
    const toNext = resizeFlow(ahead.backward, FW, FH).data;
    const aheadTrust = resizedMask(ahead.mask);
    return stylizedT.map((v, i) => {
      const p = Math.floor(i / 3), x = p % FW, y = Math.floor(p / FW);
      const carried = sample(next, FW, FH, 3, x + toNext[2 * p], y + toNext[2 * p + 1], i % 3);
      return Math.round(v + LOOKAHEAD_WEIGHT * aheadTrust[p] * (carried - v));
    });
  }

  /**
   * A first frame's output written out: its stylization with the look-ahead share of the next
   * one's (itself mixed with the one after it, where a third frame is given), brought back along
   * the motion where that is trusted; if that mix falls under the SSIM floor, the mix with the next
   * frame alone; if that does too, its stylization alone. `reach`: how many frames the mix took.
   */
  function firstFrameOf(inputs: Uint8Array[], stylized: Uint8Array[]): { expected: Uint8Array; mixed: boolean; reach: number } {
    const holds = (mix: Uint8Array) => naiveSimilarity(mix, stylized[0], FW, FH) >= SSIM_FLOOR;
    if (inputs.length > 2) {
      const far = aheadMixWrittenOut(0, [inputs[0], inputs[1]], stylized[0], aheadMixWrittenOut(1, [inputs[1], inputs[2]], stylized[1], stylized[2]));
      if (holds(far)) return { expected: far, mixed: true, reach: 2 };
    }
    const near = aheadMixWrittenOut(0, [inputs[0], inputs[1]], stylized[0], stylized[1]);
    return holds(near) ? { expected: near, mixed: true, reach: 1 } : { expected: stylized[0], mixed: false, reach: 0 };
  }

  it("mixes the look-ahead share of the next frame's stylization into a first frame, as written out, where the floor allows", async () => {
    const rand = random(13);
    const inputs = [scene(0), scene(1)];
    const stylized = inputs.map((input) => flickering(input.map((v) => 255 - v), rand, 4));
    const [first] = outputsOf(await createTemporalStage({ strength: 0.9 }), inputs.map((input, t) => ({ input, stylized: stylized[t] })), big);
    const { expected, mixed } = firstFrameOf(inputs, stylized);
    expect(mixed).toBe(true);
    expect(worstDifference(first, expected)).toBeLessThanOrEqual(1);
    expect(worstDifference(first, stylized[0])).toBeGreaterThan(1); // the look-ahead did something
  });

  it(`reaches ${LOOKAHEAD_FRAMES} frames ahead: a first frame mixed with the next, itself mixed with the one after it, as written out`, async () => {
    expect(LOOKAHEAD_FRAMES).toBe(2);
    const rand = random(14);
    const inputs = [scene(0), scene(1), scene(2)];
    const stylized = inputs.map((input) => flickering(input.map((v) => 255 - v), rand, 4));
    const [first] = outputsOf(await createTemporalStage({ strength: 0.9 }), inputs.map((input, t) => ({ input, stylized: stylized[t] })), big);
    const { expected, reach } = firstFrameOf(inputs, stylized);
    expect(reach).toBe(2);
    expect(worstDifference(first, expected)).toBeLessThanOrEqual(1);
    // the third frame counts: the mix with the second frame alone differs
    expect(worstDifference(first, firstFrameOf(inputs.slice(0, 2), stylized.slice(0, 2)).expected)).toBeGreaterThan(1);
  });

  it('mixes a first frame with the next frame alone where the mix two frames ahead falls under the floor, as written out', async () => {
    const rand = random(15);
    const inputs = [scene(0), scene(1), scene(2)];
    // the third frame's strokes redrawn hard: a share of it takes the mix under the floor
    const stylized = inputs.map((input, t) => flickering(input.map((v) => 255 - v), rand, t === 2 ? 255 : 4));
    const [first] = outputsOf(await createTemporalStage({ strength: 0.9 }), inputs.map((input, t) => ({ input, stylized: stylized[t] })), big);
    const { expected, reach } = firstFrameOf(inputs, stylized);
    expect(reach).toBe(1);
    expect(worstDifference(first, expected)).toBeLessThanOrEqual(1);
  });

  /** Each channel of a − b averaged over the 9x9 window around every pixel, edges replicated. */
  function lowBandWrittenOut(a: Float32Array, b: Uint8Array): Float64Array {
    const low = new Float64Array(FW * FH * 3);
    for (let y = 0; y < FH; y++)
      for (let x = 0; x < FW; x++)
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let dy = -4; dy <= 4; dy++)
            for (let dx = -4; dx <= 4; dx++) {
              const i = 3 * (Math.min(Math.max(y + dy, 0), FH - 1) * FW + Math.min(Math.max(x + dx, 0), FW - 1)) + c;
              sum += a[i] - b[i];
            }
          low[3 * (y * FW + x) + c] = sum / 81;
        }
    return low;
  }

  /**
   * A frame's stylization (no look-ahead mix) blended with the previous output, written out: where
   * the motion from the frame before is trusted, the difference's low band (9x9 means) by
   * LOW_BAND_WEIGHT and the rest by the formula's weights, at the first of λ·step^k, k = 0 …
   * LAMBDA_STEPS, whose blend keeps the SSIM floor, each channel's mean moved back; before rounding.
   */
  function blendWrittenOut(previousOutput: Uint8Array, [input0, input1]: Uint8Array[], stylized1: Uint8Array, strength: number) {
    const motion = motionAlongFlow(flowImage(big(0, input0)), flowImage(big(1, input1)), 2, flows.backward, flows.forward);
    const warped = warpRgb(previousOutput, resizeFlow(motion.backward, FW, FH));
    const trust = resizedMask(motion.mask);
    const windows = Array.from({ length: FW * FH }, (_, p) => naiveWindow(stylized1, warped, p % FW, Math.floor(p / FW)));
    const low = lowBandWrittenOut(warped, stylized1);
    const lowWeight = Math.min(LOW_BAND_WEIGHT, strength);
    const blendAt = (lambda: number) => {
      const mixed = new Float64Array(FW * FH * 3);
      const shift = [0, 0, 0];
      let weightSum = 0;
      for (let p = 0; p < FW * FH; p++) {
        const w = trust[p] * windows[p](strength, lambda);
        weightSum += w;
        for (let c = 0; c < 3; c++) {
          const i = 3 * p + c;
          mixed[i] = stylized1[i] + trust[p] * lowWeight * low[i] + w * (warped[i] - stylized1[i] - low[i]);
          shift[c] += (stylized1[i] - mixed[i]) / (FW * FH);
        }
      }
      return { mixed: mixed.map((v, i) => v + shift[i % 3]), meanWeight: weightSum / (FW * FH) };
    };
    let steps = 0;
    let expected = blendAt(STRUCTURE_LAMBDA);
    while (steps < LAMBDA_STEPS && naiveSimilarity(expected.mixed, stylized1, FW, FH) < SSIM_FLOOR) expected = blendAt(STRUCTURE_LAMBDA * LAMBDA_STEP ** ++steps);
    return { ...expected, coverage: motion.coverage };
  }

  const worstRounded = (out: Uint8Array, expected: Float64Array) => worstDifference(out, expected.map((v) => Math.min(255, Math.max(0, Math.round(v)))));

  it('blends by the weights the formula gives at the lowest λ that keeps the SSIM floor, within one level, the mean kept', async () => {
    const strength = 0.9;
    const stage = await createTemporalStage({ strength, detail: 1 }); // the blend itself, no detail gain
    const rand = random(12);
    const [input0, input1] = [scene(0), scene(1)];
    const stylized0 = flickering(input0.map((v) => 255 - v), rand);
    const stylized1 = flickering(scene(1).map((v) => 255 - v), rand);
    const [first, out] = outputsOf(stage, [{ input: input0, stylized: stylized0 }, { input: input1, stylized: stylized1 }], big);

    // The first frame: the look-ahead rule written out (nothing before it to blend).
    expect(worstDifference(first, firstFrameOf([input0, input1], [stylized0, stylized1]).expected)).toBeLessThanOrEqual(1);

    // The second (the last, so nothing after it): its stylization blended with the first's output.
    const expected = blendWrittenOut(first, [input0, input1], stylized1, strength);
    expect(expected.coverage).toBeGreaterThan(0.5);
    // The weights are neither all 0 nor all the cap: they vary with the picture.
    expect(expected.meanWeight).toBeGreaterThan(0.05);
    expect(expected.meanWeight).toBeLessThan(0.85 * strength);
    expect(worstRounded(out, expected.mixed)).toBeLessThanOrEqual(1);
  });

  it("blends a frame without its look-ahead mix where the mix falls under the floor, also after a frame whose mix did", async () => {
    const strength = 0.9;
    const rand = random(21);
    const inputs = [scene(0), scene(1), scene(2)];
    // Strokes redrawn hard every frame: a share of the next frame's takes a frame under the floor.
    const stylized = inputs.map((input) => flickering(input.map((v) => 255 - v), rand, 90));
    const outputs = outputsOf(await createTemporalStage({ strength, detail: 1 }), inputs.map((input, t) => ({ input, stylized: stylized[t] })), big);
    expect(firstFrameOf(inputs, stylized).mixed).toBe(false);
    expect(firstFrameOf([inputs[0], inputs[1]], [stylized[0], stylized[1]]).mixed).toBe(false);
    expect(firstFrameOf([inputs[1], inputs[2]], [stylized[1], stylized[2]]).mixed).toBe(false);
    expect(worstDifference(outputs[0], stylized[0])).toBe(0);
    const expected = blendWrittenOut(outputs[0], [inputs[0], inputs[1]], stylized[1], strength);
    expect(expected.meanWeight).toBeGreaterThan(0.05);
    expect(worstRounded(outputs[1], expected.mixed)).toBeLessThanOrEqual(1);
  });

  // Known limitation: Farnebäck's flow is smooth across the square's edge, so the two flows agree
  // over the 6-pixel strip it uncovers and the round-trip check trusts it, though the brightness
  // check does not: the square's edge can ghost there for a frame. Marked as failing so that it
  // shows when it is fixed.
  it.fails('does not trust the strip a moving square uncovers', async () => {
    const motion = motionAlongFlow(flowImage(big(0, scene(0))), flowImage(big(1, scene(1))), 2, flows.backward, flows.forward);
    const mask = resizedMask(motion.mask);
    // The strip the square uncovers (x 120..125 at t = 1, inside its rows).
    let trusted = 0;
    for (let y = 110; y < 210; y++) for (let x = 121; x < 125; x++) trusted += mask[y * FW + x];
    expect(trusted / (100 * 4)).toBeLessThan(0.3);
  });
});

// The research variants of docs/temporal-detail.md (unset in the product), each against its rule
// written out pixel by pixel on a small synthetic case.
describe('the fine-band research variants, against their rules written out', () => {
  const w = 40, h = 30;
  /** A texture moved right by `shift` pixels, grey. */
  const texture = (shift: number) => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data.fill(Math.round(128 + 70 * Math.sin((x - shift) * 1.3) * Math.cos(y * 0.9) + 30 * Math.sin((x - shift + y) * 0.4)), (y * w + x) * 3, (y * w + x) * 3 + 3);
    return data;
  };
  const lumaAt = (rgb: Uint8Array, x: number, y: number) => {
    const i = (Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)) * 3;
    return 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
  };
  /** The luma less its mean over a (2r+1)² window, edges replicated, summed pixel by pixel. */
  const fineAt = (rgb: Uint8Array, x: number, y: number, r: number) => {
    let sum = 0;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) sum += lumaAt(rgb, x + dx, y + dy);
    return lumaAt(rgb, x, y) - sum / (2 * r + 1) ** 2;
  };
  const still = (): Flow => ({ width: w, height: h, data: new Float32Array(w * h * 2) });
  const trusted = () => new Float32Array(w * h).fill(1);

  it('carries the keyframe’s fine band along composed flows: a texture moving 2 px a frame is its own fine band after three frames', () => {
    const keyframe = new FineKeyframe(w, h, { fineRadius: 2, refreshEvery: 100, refreshBelow: 0, keyFromStylized: true });
    keyframe.apply(texture(0), texture(0), undefined, undefined);
    const flow = still();
    for (let p = 0; p < w * h; p++) flow.data[2 * p] = -2; // each pixel was 2 px to the left a frame before
    const flat = new Uint8Array(w * h * 3).fill(128);
    let shown: Uint8Array = flat;
    for (let t = 1; t <= 3; t++) shown = keyframe.apply(texture(2 * t), flat, flow, trusted());
    let worst = 0;
    for (let y = 0; y < h; y++) for (let x = 6 + 2; x < w; x++) worst = Math.max(worst, Math.abs(shown[(y * w + x) * 3] - (128 + fineAt(texture(0), x - 6, y, 2))));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('filters the fine band apart and shows it at the stylization’s energy, as written out', () => {
    const params = { fineRadius: 2, history: 0.7, energyRadius: 3, maxGain: 3, ownWhereUntrusted: false, gainHistory: 0, freshFromStylized: false };
    const filter = new FineBandFilter(w, h, params);
    const first = texture(0), second = texture(3), output = texture(1);
    filter.apply(first, first, first, undefined, undefined);
    const shown = filter.apply(second, second, output, still(), trusted());
    const state = (x: number, y: number) => params.history * fineAt(first, x, y, 2) + (1 - params.history) * fineAt(second, x, y, 2);
    const energy = (f: (x: number, y: number) => number, x: number, y: number) => {
      let sum = 0;
      for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) sum += f(Math.min(Math.max(x + dx, 0), w - 1), Math.min(Math.max(y + dy, 0), h - 1)) ** 2;
      return sum;
    };
    let worst = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const gain = Math.min(3, Math.max(1, Math.sqrt((energy((u, v) => fineAt(second, u, v, 2), x, y) + 4 * 49) / (energy(state, x, y) + 4 * 49))));
        const expected = Math.min(255, Math.max(0, lumaAt(output, x, y) + gain * state(x, y) - fineAt(output, x, y, 2)));
        worst = Math.max(worst, Math.abs(shown[(y * w + x) * 3] - expected));
      }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('takes the history’s fine band where it agrees with the target’s, as written out', () => {
    const params = { fineRadius: 2, windowRadius: 3, take: 0.5, leave: 0.9, featherRadius: 0 };
    const target = texture(0);
    const history = Float32Array.from(texture(1));
    for (let y = 0; y < h; y++) for (let x = w / 2; x < w; x++) history.fill(128, (y * w + x) * 3, (y * w + x) * 3 + 3); // the right half flat
    const choice = new FineSelection(w, h, params).choose(target, history);
    const historyRgb = Uint8Array.from(history);
    const window = (f: (x: number, y: number) => number, x: number, y: number) => {
      let sum = 0;
      for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) sum += f(Math.min(Math.max(x + dx, 0), w - 1), Math.min(Math.max(y + dy, 0), h - 1));
      return sum;
    };
    let worst = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const a = (u: number, v: number) => fineAt(target, u, v, 2), b = (u: number, v: number) => fineAt(historyRgb, u, v, 2);
        const ratio = window((u, v) => (b(u, v) - a(u, v)) ** 2, x, y) / (window((u, v) => a(u, v) ** 2, x, y) + window((u, v) => b(u, v) ** 2, x, y) + 4 * 49);
        worst = Math.max(worst, Math.abs(choice[y * w + x] - Math.min(1, Math.max(0, (0.9 - ratio) / 0.4))));
      }
    expect(worst).toBeLessThan(1e-3);
    expect(choice[15 * w + 35]).toBe(0); // the flat half, where the target has strokes, is left
  });
});
