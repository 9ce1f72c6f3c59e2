// Flow between consecutive input frames, computed at a reduced size and brought back to full size.
import { consistencyMask } from './consistency.js';
import { opticalFlow, resizeFlow, sample, toGray, halve, type Flow, type Gray } from './flow.js';
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

export function motionBetween(previous: Gray, current: Gray, width: number, height: number): Motion {
  const backwardSmall = opticalFlow(current, previous);
  const forwardSmall = opticalFlow(previous, current);
  const backward = resizeFlow(backwardSmall, width, height);
  const forward = resizeFlow(forwardSmall, width, height);
  const mask = consistencyMask(backward, forward);
  // Consistent flow is not enough: across a hard cut, two unrelated textures can still pair up.
  // The previous input, warped, must also look like the current one.
  const { width: w, height: h } = current;
  const mismatch = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const before = sample(previous.data, w, h, 1, x + backwardSmall.data[2 * i], y + backwardSmall.data[2 * i + 1], 0);
      mismatch[i] = Math.abs(before - current.data[i]) > PHOTOMETRIC_TOLERANCE ? 1 : 0;
    }
  for (let y = 0; y < height; y++) {
    const row = Math.min(h - 1, Math.floor(((y + 0.5) * h) / height)) * w;
    for (let x = 0; x < width; x++) if (mismatch[row + Math.min(w - 1, Math.floor(((x + 0.5) * w) / width))]) mask[y * width + x] = 0;
  }
  let trusted = 0;
  for (let i = 0; i < mask.length; i++) trusted += mask[i];
  return { backward, mask, coverage: trusted / mask.length };
}
