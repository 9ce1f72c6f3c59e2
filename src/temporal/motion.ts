// Motion between consecutive input frames: flow computed at a reduced size, and the mask of the
// pixels that can trust it, at full size (the metric's reference) or left at the flow's size (the stage).
import { consistencyMask } from './consistency.js';
import { boxSum, FLOW_MIN_SIZE, opticalFlow, pyramidOf, resizeFlow, sample, toGray, halve, type Flow, type Gray } from './flow.js';
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

/**
 * Mean squared gradient (per pixel, intensities 0..1) below which a neighbourhood counts as flat:
 * there the flow is a guess (the aperture problem) and forward and backward guesses disagree, but a
 * wrong vector moves flat colour onto flat colour, which the photometric check alone can judge.
 */
export const FLAT_GRADIENT_ENERGY = 0.01 ** 2;
const FLAT_RADIUS = 2;

/** 1 where the neighbourhood of a pixel has too little texture for flow to be checked. */
function flatness(image: Gray): Uint8Array {
  const { width, height } = image;
  // The finest level of the flow's pyramid already holds these central differences.
  const { dx, dy } = pyramidOf(image, FLOW_MIN_SIZE)[0];
  const n = width * height;
  const energy = new Float32Array(n);
  for (let i = 0; i < n; i++) energy[i] = dx[i] * dx[i] + dy[i] * dy[i];
  const sums = new Float32Array(n);
  boxSum(energy, width, height, FLAT_RADIUS, sums, new Float32Array(n));
  const limit = FLAT_GRADIENT_ENERGY * (2 * FLAT_RADIUS + 1) ** 2;
  const flat = new Uint8Array(n);
  for (let i = 0; i < n; i++) flat[i] = sums[i] < limit ? 1 : 0;
  return flat;
}

/** How a flow is computed: flow.ts in JS, or the same method in TF.js ops (tf-flow.ts) on a GPU. */
export type FlowMethod = (a: Gray, b: Gray) => Flow;

/**
 * Consistent flow is not enough: across a hard cut, two unrelated textures can still pair up. The
 * previous input, warped, must also look like the current one. In flat regions that check is the
 * only one that means anything, so there it replaces the consistency check. At flow size: −1 where
 * the pixel must not be trusted, +1 where it must be, 0 where the consistency check decides.
 */
function photometricVerdict(previous: Gray, current: Gray, backward: Flow): Int8Array {
  const { width: w, height: h } = current;
  const flat = flatness(current);
  const verdict = new Int8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const before = sample(previous.data, w, h, 1, x + backward.data[2 * i], y + backward.data[2 * i + 1], 0);
      verdict[i] = Math.abs(before - current.data[i]) > PHOTOMETRIC_TOLERANCE ? -1 : flat[i] ? 1 : 0;
    }
  return verdict;
}

function coverageOf(mask: Float32Array): number {
  let trusted = 0;
  for (let i = 0; i < mask.length; i++) trusted += mask[i];
  return trusted / mask.length;
}

/**
 * The motion at full size: flows resized, the consistency check per output pixel. The stability
 * metric measures with this, as the reference the temporal stage's faster motionAtFlowSize is
 * tested against.
 */
export function motionBetween(previous: Gray, current: Gray, width: number, height: number, flow: FlowMethod = opticalFlow): Motion {
  const backwardSmall = flow(current, previous);
  const forwardSmall = flow(previous, current);
  const backward = resizeFlow(backwardSmall, width, height);
  const mask = consistencyMask(backward, resizeFlow(forwardSmall, width, height));
  const verdict = photometricVerdict(previous, current, backwardSmall);
  const { width: w, height: h } = current;
  for (let y = 0; y < height; y++) {
    const row = Math.min(h - 1, Math.floor(((y + 0.5) * h) / height)) * w;
    for (let x = 0; x < width; x++) {
      const v = verdict[row + Math.min(w - 1, Math.floor(((x + 0.5) * w) / width))];
      if (v) mask[y * width + x] = v > 0 ? 1 : 0;
    }
  }
  return { backward, mask, coverage: coverageOf(mask) };
}

/**
 * The same motion, left at the flow's size: the temporal stage brings flow and mask to full size
 * while it warps and blends, which saves two full-size flows and a full-size consistency pass.
 * `scale` is full-size pixels per flow pixel, so that the consistency thresholds stay in
 * full-size pixels.
 */
export function motionAtFlowSize(previous: Gray, current: Gray, scale: number, flow: FlowMethod = opticalFlow): Motion {
  const backward = flow(current, previous);
  const mask = consistencyMask(backward, flow(previous, current), scale);
  const verdict = photometricVerdict(previous, current, backward);
  for (let i = 0; i < mask.length; i++) if (verdict[i]) mask[i] = verdict[i] > 0 ? 1 : 0;
  return { backward, mask, coverage: coverageOf(mask) };
}
