// A preview resolved once: a side-by-side original|stylized clip at reduced size, or a contact
// sheet of evenly spaced frames, and which frames.
import { clampFrameRange, parseFrameRange, type FrameRange } from '../decode/frame-range.js';
import { probeVideo, rationalValue, type VideoInfo } from '../decode/probe.js';
import { containerOf } from '../encode/encoder.js';
import type { VideoCodec } from '../encode/codecs.js';
import { checkOutputPath } from '../output.js';
import { OPTIONS, PREVIEW_OPTIONS, type OptionValues } from '../options/table.js';
import { OptionError } from '../errors.js';
import type { Look } from '../stylize/look.js';
import { readStyleImage } from '../stylize/magenta.js';
import { checkedOptions, defaultOutputPath, looksOf, machineOf, precisionOf, type JobBase } from './common.js';
import { isStillPath } from './still.js';
import { temporalDetail, temporalStrength } from './video.js';
import { resolveSchedule } from './style-schedule.js';

/**
 * A preview: the input and the preview options of the table (src/options/table.ts). The output is
 * .mp4/.mov/.mkv/.webm for a side-by-side clip, .png/.jpg/.webp for a contact sheet (default
 * `<input>.<style>.preview.mp4`); frames are the clip's (default: one second from the middle), or
 * the span the sheet samples (default: all); temporal applies to the clip (a sheet's frames are far
 * apart and stylized alone).
 */
export type PreviewRequest = { input: string } & Pick<OptionValues, (typeof PREVIEW_OPTIONS)[number]>;

export interface PreviewJob extends JobBase {
  readonly kind: 'preview';
  readonly info: VideoInfo;
  /** a contact sheet (an image output), or a side-by-side clip in this container and codec */
  readonly sheet: boolean;
  readonly clip?: { readonly container: string; readonly codec: VideoCodec; readonly crf?: number; readonly preset?: string };
  /** each half's size: the input scaled, even for 4:2:0 */
  readonly size: { readonly width: number; readonly height: number };
  readonly frames: readonly number[];
  /** the clip's temporal strength */
  readonly strength: number;
  /** the clip's temporal detail gain */
  readonly detail: number;
  /** a contact sheet's columns after the original, one per look (one, `look`, unless an option was given several values) */
  readonly looks: readonly Look[];
}

export async function resolvePreview(request: PreviewRequest): Promise<PreviewJob> {
  const { input, ...given } = request;
  const { values, style } = checkedOptions(given, PREVIEW_OPTIONS);
  const output = values.output ?? defaultOutputPath(input, `${style.label}.preview`, '.mp4');
  const sheet = isStillPath(output);
  const container = sheet ? undefined : containerOf(output);
  const range = typeof values.frames === 'string' ? parseFrameRange(values.frames) : values.frames;
  const strength = temporalStrength(values.temporal!);
  const detail = temporalDetail(values.detail, strength);
  await checkOutputPath(output, { input, overwrite: values.overwrite });
  const info = await probeVideo(input);
  const scale = values.scale!;
  const even = (n: number) => Math.max(2, 2 * Math.round((n * scale) / 2));
  const frames = sheet ? sheetFrames(info, values.count!, range) : clipFrames(info, range);
  const looks = looksOf(values, info, scale);
  const { schedule } = await resolveSchedule(values, style, info);
  if (looks.length > 1 && !sheet) throw new OptionError(`several values of {strokeScale} or {intensity} make a contact sheet: give an image output ({output} ${defaultOutputPath(input, `${style.label}.preview`, '.png')})`);
  if (style.kind === 'picture') await readStyleImage(style.path);
  const codec = container && OPTIONS.codec.derivedDefault!({ container, codec: 'h264' })!;
  return Object.freeze({
    kind: 'preview', input, output, overwrite: !!values.overwrite, style, precision: await precisionOf(style, values), machine: machineOf(values), schedule,
    look: looks[0], looks: Object.freeze(looks),
    info, sheet, clip: container && codec ? { container, codec, crf: OPTIONS.crf.derivedDefault!({ container, codec }), preset: OPTIONS.preset.derivedDefault!({ container, codec }) } : undefined,
    size: { width: even(info.width), height: even(info.height) }, frames: Object.freeze(frames), strength, detail,
  });
}

/** Evenly spaced over the span, its first and last frames included. */
function sheetFrames(info: VideoInfo, count: number, range: FrameRange | undefined): number[] {
  const { start, count: span } = range ? clampFrameRange(range, info.frameCount) : { start: 0, count: info.frameCount };
  const n = Math.min(count, span);
  return [...new Set(Array.from({ length: n }, (_, i) => start + (n === 1 ? 0 : Math.round((i * (span - 1)) / (n - 1)))))];
}

/** The range given, or one second from the middle. */
function clipFrames(info: VideoInfo, range: FrameRange | undefined): number[] {
  const second = Math.max(1, Math.round(rationalValue(info.fps)));
  const middle = Math.max(0, Math.floor(info.frameCount / 2) - Math.floor(second / 2));
  const { start, count } = clampFrameRange(range ?? { start: middle, end: Math.min(info.frameCount, middle + second) - 1 }, info.frameCount);
  return Array.from({ length: count }, (_, i) => start + i);
}
