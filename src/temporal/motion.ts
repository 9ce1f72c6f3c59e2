// Flow between consecutive input frames, computed at a reduced size and brought back to full size.
import { consistencyMask } from './consistency.js';
import { opticalFlow, resizeFlow, toGray, halve, type Flow, type Gray } from './flow.js';
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

export function motionBetween(previous: Gray, current: Gray, width: number, height: number): Motion {
  const backwardSmall = opticalFlow(current, previous);
  const forwardSmall = opticalFlow(previous, current);
  const backward = resizeFlow(backwardSmall, width, height);
  const forward = resizeFlow(forwardSmall, width, height);
  const mask = consistencyMask(backward, forward);
  let trusted = 0;
  for (let i = 0; i < mask.length; i++) trusted += mask[i];
  return { backward, mask, coverage: trusted / mask.length };
}
