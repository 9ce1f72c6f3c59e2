// --frames: 0-based, inclusive, as ffmpeg's `n` and Remotion's --frames count them.
import { UsageError } from '../errors.js';

export interface FrameRange {
  start: number;
  /** inclusive; undefined for "to the end" */
  end?: number;
}

/** "120-239", "120-" or "42". */
export function parseFrameRange(text: string): FrameRange {
  const match = /^\s*(\d+)\s*(?:(-)\s*(\d+)?)?\s*$/.exec(text);
  if (!match) throw new UsageError(`--frames ${text}: give a frame (42), a range (120-239) or a start (120-), counted from 0`);
  const start = Number(match[1]);
  const end = match[2] ? (match[3] === undefined ? undefined : Number(match[3])) : start;
  if (!Number.isSafeInteger(start) || (end !== undefined && !Number.isSafeInteger(end))) throw new UsageError(`--frames ${text}: the numbers are too large`);
  if (end !== undefined && end < start) throw new UsageError(`--frames ${text}: the range is reversed; write it as ${end}-${start}`);
  return { start, end };
}

/** The frames to decode, checked against the video's length. */
export function clampFrameRange(range: FrameRange, frameCount: number): { start: number; count: number } {
  if (range.start >= frameCount) {
    throw new UsageError(`--frames ${range.start}${range.end === range.start ? '' : '-' + (range.end ?? '')}: the video has ${frameCount} frames (0-${frameCount - 1})`);
  }
  const end = range.end === undefined ? frameCount - 1 : range.end;
  if (end >= frameCount) throw new UsageError(`--frames ${range.start}-${range.end}: the video has ${frameCount} frames (0-${frameCount - 1}); use ${range.start}- for "to the end"`);
  return { start: range.start, count: end - range.start + 1 };
}
