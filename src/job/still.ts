// Stills resolved once: a picture stylized as a picture, or one frame of a video as a picture.
import { extname } from 'node:path';
import { clampFrameRange, parseFrameRange } from '../decode/frame-range.js';
import { probeVideo, type VideoInfo } from '../decode/probe.js';
import { OptionError, UsageError } from '../errors.js';
import { checkOutputPath } from '../output.js';
import { STILL_OPTIONS, type OptionValues } from '../options/table.js';
import { readStyleImage } from '../stylize/magenta.js';
import { checkedOptions, defaultOutputPath, lookOf, machineOf, precisionOf, type JobBase } from './common.js';
import type { StyleChoice } from './style.js';
import { resolveSchedule, switchStyles } from './style-schedule.js';
import { checkOptions } from '../options/derive.js';

export const STILL_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif'];

export const isStillPath = (path: string): boolean => STILL_EXTENSIONS.includes(extname(path).toLowerCase());

export interface ImageJob extends JobBase {
  readonly kind: 'image';
}

export interface FrameJob extends JobBase {
  readonly kind: 'frame';
  readonly info: VideoInfo;
  /** the frame, 0-based */
  readonly frame: number;
}

/** A still: the input, its output (default `<input>.<style><input's extension>`), and the still options of the table. */
export type ImageRequest = { input: string } & Pick<OptionValues, (typeof STILL_OPTIONS)[number]>;
/** One frame of a video as a picture: `frames` names it. */
export type FrameRequest = ImageRequest & { output: string } & Pick<OptionValues, 'frames' | 'shard' | 'styleAt' | 'styleFade'>;

/** The checks a still's output and style get before anything is read or written. */
function stillBase(request: ImageRequest) {
  const { input, ...given } = request;
  const { values, style } = checkedOptions(given, STILL_OPTIONS);
  const output = values.output ?? defaultOutputPath(input, style.label, extname(input));
  if (!isStillPath(output)) throw new UsageError(`cannot write a still to '${output}': use an output ending in ${STILL_EXTENSIONS.join(', ')}`);
  return { input, output, overwrite: !!values.overwrite, style, values, machine: machineOf(values) };
}

/** A picture style is read and checked (it exists, is a picture, is not huge) before any work. */
async function checkPicture(style: StyleChoice): Promise<void> {
  if (style.kind === 'picture') await readStyleImage(style.path);
}

export async function resolveImage(request: ImageRequest): Promise<ImageJob> {
  const { values, ...base } = stillBase(request);
  await checkOutputPath(base.output, base);
  await checkPicture(base.style);
  return Object.freeze({ kind: 'image', ...base, look: lookOf(values), precision: await precisionOf(base.style, values) });
}

export async function resolveFrame(request: FrameRequest): Promise<FrameJob> {
  const range = typeof request.frames === 'string' ? parseFrameRange(request.frames) : request.frames;
  if (!range || range.end !== range.start || request.shard) {
    throw new OptionError(`${request.output} is an image: it holds one frame, so choose it with {frames} N (or write a video, or use "stylize-video preview" for a contact sheet)`);
  }
  const { frames, shard, styleAt, styleFade, ...still } = request;
  // The frame takes the style its place in the video selects (docs/controls.md, Style over time).
  checkOptions({ styleAt, styleFade }, ['styleAt', 'styleFade']);
  switchStyles({ styleAt, precision: request.precision });
  const { values, ...base } = stillBase(still);
  await checkOutputPath(base.output, base);
  await checkPicture(base.style);
  const info = await probeVideo(base.input);
  const { start } = clampFrameRange(range, info.frameCount);
  const { schedule } = await resolveSchedule({ styleAt, styleFade, styleStrength: values.styleStrength, precision: values.precision }, base.style, info);
  return Object.freeze({ kind: 'frame', ...base, look: lookOf(values, info), precision: await precisionOf(base.style, values), schedule, info, frame: start });
}
