// Flow between consecutive input frames, computed at a reduced size and brought back to full size.
import { consistencyMask } from './consistency.js';
import { boxSum, opticalFlow, resizeFlow, sample, toGray, halve, type Flow, type Gray } from './flow.js';
import type { RgbFrame } from '../frame.js';

/** Flow runs with the short side at most this many pixels: enough for stylized strokes, and fast. */
export const FLOW_SHORT_SIDE = 180;

export function flowImage(frame: RgbFrame): Gray {
  let gray = toGray(frame.data, frame.width, frame.height);
  while (Math.min(gray.width, gray.height) >= 2 * FLOW_SHORT_SIDE) gray = halve(gray);
  return gray;
}

export interface Motion {
  /** for each pixel of frame t, where it was in frame t-1 (full size) */
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
  const { width, height, data } = image;
  const energy = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const gx = 0.5 * (data[y * width + Math.min(x + 1, width - 1)] - data[y * width + Math.max(x - 1, 0)]);
      const gy = 0.5 * (data[Math.min(y + 1, height - 1) * width + x] - data[Math.max(y - 1, 0) * width + x]);
      energy[y * width + x] = gx * gx + gy * gy;
    }
  const sums = new Float32Array(width * height);
  boxSum(energy, width, height, FLAT_RADIUS, sums, new Float32Array(width * height));
  const area = (2 * FLAT_RADIUS + 1) ** 2;
  return Uint8Array.from(sums, (s) => (s / area < FLAT_GRADIENT_ENERGY ? 1 : 0));
}

/** How a flow is computed: flow.ts in JS, or the same method in TF.js ops (tf-flow.ts) on a GPU. */
export type FlowMethod = (a: Gray, b: Gray) => Flow;

export function motionBetween(previous: Gray, current: Gray, width: number, height: number, flow: FlowMethod = opticalFlow): Motion {
  const backwardSmall = flow(current, previous);
  const forwardSmall = flow(previous, current);
  const backward = resizeFlow(backwardSmall, width, height);
  const forward = resizeFlow(forwardSmall, width, height);
  const mask = consistencyMask(backward, forward);
  // Consistent flow is not enough: across a hard cut, two unrelated textures can still pair up.
  // The previous input, warped, must also look like the current one. In flat regions that check
  // is the only one that means anything, so there it replaces the consistency check.
  const { width: w, height: h } = current;
  const flat = flatness(current);
  const mismatch = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const before = sample(previous.data, w, h, 1, x + backwardSmall.data[2 * i], y + backwardSmall.data[2 * i + 1], 0);
      mismatch[i] = Math.abs(before - current.data[i]) > PHOTOMETRIC_TOLERANCE ? 1 : 0;
    }
  for (let y = 0; y < height; y++) {
    const row = Math.min(h - 1, Math.floor(((y + 0.5) * h) / height)) * w;
    for (let x = 0; x < width; x++) {
      const small = row + Math.min(w - 1, Math.floor(((x + 0.5) * w) / width));
      if (mismatch[small]) mask[y * width + x] = 0;
      else if (flat[small]) mask[y * width + x] = 1;
    }
  }
  let trusted = 0;
  for (let i = 0; i < mask.length; i++) trusted += mask[i];
  return { backward, mask, coverage: trusted / mask.length };
}
