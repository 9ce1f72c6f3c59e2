// Motion between consecutive input frames: flow computed at a reduced size, and the mask of the
// pixels that can trust it, at the flow's size, with a round-trip and a brightness check.
import { consistencyMask } from './consistency.js';
import { sample, toGray, halve, type Flow, type Gray } from './image.js';
import type { RgbFrame } from '../frame.js';

/** Flow runs with the short side at most this many pixels: enough for stylized strokes, and fast. */
export const FLOW_SHORT_SIDE = 180;

export function flowImage(frame: RgbFrame): Gray {
  let gray = toGray(frame.data, frame.width, frame.height);
  while (Math.min(gray.width, gray.height) >= 2 * FLOW_SHORT_SIDE) gray = halve(gray);
  return gray;
}

export interface Motion {
  /** for each pixel of frame t, where it was in frame t-1 */
  backward: Flow;
  /** 1 where the warped previous frame is trusted */
  mask: Float32Array;
  /** share of trusted pixels; low after a hard cut */
  coverage: number;
}

/** Below this share of trusted pixels, two frames are taken as a hard cut: there is no motion between them to follow. */
export const CUT_COVERAGE = 0.4;

/** Largest brightness difference (0..1) between a pixel and the previous input warped onto it that still counts as the same surface. */
export const PHOTOMETRIC_TOLERANCE = 0.08;

/** How a flow is computed: Farnebäck (farneback.ts), DIS (dis-flow.ts), Lucas–Kanade (metrics/lucas-kanade.ts), or LK as TF.js ops on a GPU (tf-flow.ts). */
export type FlowMethod = (a: Gray, b: Gray) => Flow;

/** The share of a mask's pixels that are trusted. */
export function coverageOf(mask: Float32Array): number {
  let trusted = 0;
  for (let i = 0; i < mask.length; i++) trusted += mask[i];
  return trusted / mask.length;
}

/**
 * The motion the temporal stage follows, at the flow's size, from flows already computed: `backward`
 * from `current` to `previous`, `forward` the other way. A pixel is trusted where either check
 * passes: the flows agree forward and backward (water, foliage, grain: the brightness changes but
 * the motion is coherent), or the previous input warped along the flow still looks like the current
 * one (flat sky and noise, where the flows are guesses that disagree but warping is harmless).
 * `forward`, for the check, may come from a cheaper method than `backward`, which the warp follows.
 * `coverage` is the brightness check's alone: across a cut, smooth flows can still agree both ways,
 * but nothing of the previous shot looks like the new one.
 */
export function trustedMotion(previous: Gray, current: Gray, backward: Flow, forward: Flow, scale: number): Motion {
  const mask = consistencyMask(backward, forward, scale, { boundaries: false });
  const { width: w, height: h } = current;
  const b = backward.data;
  let alike = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const before = sample(previous.data, w, h, 1, x + b[2 * i], y + b[2 * i + 1], 0);
      if (Math.abs(before - current.data[i]) > PHOTOMETRIC_TOLERANCE) continue;
      alike++;
      mask[i] = 1;
    }
  return { backward, mask, coverage: alike / (w * h) };
}
