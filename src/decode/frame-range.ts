// The frames option: 0-based, inclusive, as ffmpeg's `n` and Remotion's --frames count them.
import { invalidOption, OptionError } from '../errors.js';

export interface FrameRange {
  start: number;
  /** inclusive; undefined for "to the end" */
  end?: number;
}

/** "120-239", "120-" or "42". */
export function parseFrameRange(text: string): FrameRange {
  const match = /^\s*(\d+)\s*(?:(-)\s*(\d+)?)?\s*$/.exec(text);
  if (!match) throw invalidOption('frames', text, 'give a frame (42), a range (120-239) or a start (120-), counted from 0');
  const start = Number(match[1]);
  const end = match[2] ? (match[3] === undefined ? undefined : Number(match[3])) : start;
  if (!Number.isSafeInteger(start) || (end !== undefined && !Number.isSafeInteger(end))) throw invalidOption('frames', text, 'the numbers are too large');
  if (end !== undefined && end < start) throw invalidOption('frames', text, `the range is reversed; write it as ${end}-${start}`);
  return { start, end };
}

/** The frames to decode, checked against the video's length. */
export function clampFrameRange(range: FrameRange, frameCount: number): { start: number; count: number } {
  if (range.start >= frameCount) {
    throw new OptionError(`{frames} ${range.start}${range.end === range.start ? '' : '-' + (range.end ?? '')}: the video has ${frameCount} frames (0-${frameCount - 1})`);
  }
  const end = range.end === undefined ? frameCount - 1 : range.end;
  if (end >= frameCount) throw new OptionError(`{frames} ${range.start}-${range.end}: the video has ${frameCount} frames (0-${frameCount - 1}); use ${range.start}- for "to the end"`);
  return { start: range.start, count: end - range.start + 1 };
}

/** "83.5", "1:23.5" or "0:01:23.5" as seconds. */
export function parseTimecode(text: string, option: string): number {
  const match = /^\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*$/.exec(text);
  const seconds = match ? Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3]) : NaN;
  if (!Number.isFinite(seconds) || (match && match[2] !== undefined && Number(match[3]) >= 60)) {
    throw invalidOption(option, text, 'give a time as seconds (83.5), M:SS (1:23.5) or H:MM:SS (0:01:23.5)');
  }
  return seconds;
}

/**
 * --start/--duration as frames: from the first frame shown at or after the start, as many frames
 * as the duration holds at the video's rate.
 */
export function timeRange(start: number | undefined, duration: number | undefined, fps: number): FrameRange {
  const first = Math.max(0, Math.ceil((start ?? 0) * fps - 1e-6));
  if (duration === undefined) return { start: first };
  const count = Math.round(duration * fps);
  if (count < 1) throw invalidOption('duration', duration, `shorter than one frame at ${fps.toFixed(3)} fps`);
  return { start: first, end: first + count - 1 };
}
