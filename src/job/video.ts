// A video render resolved once: the options checked, then the probe turned into an immutable job
// (output, container, codec, strength, frame span, parts, this shard's parts, what the pixels
// depend on) that rendering, plan and the parts folder read instead of redoing it.
import { resolve } from 'node:path';
import { clampFrameRange, parseFrameRange, parseTimecode, timeRange, type FrameRange } from '../decode/frame-range.js';
import { probeVideo, rationalText, rationalValue, type VideoInfo } from '../decode/probe.js';
import { checkCodecFits, type VideoCodec } from '../encode/codecs.js';
import { containerOf } from '../encode/encoder.js';
import { OptionError } from '../errors.js';
import { checkOutputPath } from '../output.js';
import { PIXEL_OPTIONS } from '../options/derive.js';
import { OPTIONS, RENDER_OPTIONS, type OptionValues } from '../options/table.js';
import { contiguousRuns, defaultPartLength, parseShard, partsOf, shardParts, spanLength, warmupFrames, type FrameSpan, type Part, type ShardSpec } from '../parts/part-plan.js';
import type { PartsManifest } from '../parts/parts-folder.js';
import { lookaheadFrames, TEMPORAL_METHOD } from '../temporal/index.js';
import { checkedOptions, defaultOutputPath, lookOf, machineOf, precisionOf, type JobBase } from './common.js';
import { modelWeights, styleIdentity } from './style.js';
import { resolveSchedule, switchStyles } from './style-schedule.js';
import { hardSwitches } from '../stylize/style-schedule.js';

export interface VideoJob extends JobBase {
  readonly kind: 'video';
  readonly info: VideoInfo;
  readonly container: string;
  readonly codec: VideoCodec;
  /** undefined for prores, which takes a profile (preset) instead */
  readonly crf?: number;
  /** as given, else the table's default for the codec (undefined: the encoder's own, vp9) */
  readonly preset?: string;
  /** the temporal stage's strength; 0 turns it off */
  readonly strength: number;
  /** the temporal stage's detail gain (1: the blend as it is) */
  readonly detail: number;
  readonly shard?: ShardSpec;
  readonly span: FrameSpan;
  readonly partFrames: number;
  readonly parts: readonly Part[];
  /** while another process holds these parts' locks, how long to wait for it (0: fail at once, naming it) */
  readonly waitSeconds: number;
  /** the parts this shard renders (all of them without a shard) */
  readonly shardParts: readonly Part[];
  /** frames replayed before a part that does not start the range (see warmupFrames) */
  readonly warmupLimit: number;
  /** frames where the style switches without a crossfade: the temporal stage starts afresh there */
  readonly restarts: readonly number[];
  /** what the pixels depend on, by option (plan.json's settings) */
  readonly identity: Readonly<Record<string, unknown>>;
  /** the options that decide the pixels, as the caller gave them, with the resolved style and precision: what `plan` hands its shards */
  readonly shardValues: Readonly<OptionValues>;
}

/** A video render: the input and the render options of the table (src/options/table.ts). */
export type VideoRequest = { input: string } & Pick<OptionValues, (typeof RENDER_OPTIONS)[number]>;

/** `true` is the table's default strength; `false` turns the stage off. */
export const temporalStrength = (temporal: boolean | number): number => (temporal === true ? OPTIONS.temporal.default! as number : temporal === false ? 0 : temporal);

/** The detail gain, which acts on what the temporal stage blends: none to act on with the stage off (the default then means none). */
export function temporalDetail(detail: number | undefined, strength: number): number {
  const gain = detail ?? (OPTIONS.detail.default as number);
  if (strength > 0) return gain;
  if (gain !== 1 && gain !== OPTIONS.detail.default) throw new OptionError('{detail} sharpens what the temporal stage blends, and the stage is off ({temporal} 0 or off): leave out one of the two');
  return 1;
}

/**
 * Checks everything that needs no file first (a typo costs nothing), then the output path (a
 * render's, not a plan's, whose shards write later where they run), the probe, the style's files.
 */
export async function resolveVideo(request: VideoRequest, purpose: 'render' | 'plan' = 'render'): Promise<VideoJob> {
  const { input, ...given } = request;
  const { values, style } = checkedOptions(given, RENDER_OPTIONS);
  const output = values.output ?? defaultOutputPath(input, style.label, '.mp4');
  const container = containerOf(output);
  const codec = values.codec ?? OPTIONS.codec.derivedDefault!({ container, codec: 'h264' })!;
  checkCodecFits(codec, container);
  if (codec === 'prores' && values.crf !== undefined) throw new OptionError('{crf} does not apply to prores: choose its quality with {preset} 0..5 (proxy … 4444 XQ)');
  const crf = values.crf ?? OPTIONS.crf.derivedDefault!({ container, codec });
  const preset = values.preset ?? OPTIONS.preset.derivedDefault!({ container, codec });
  const strength = temporalStrength(values.temporal!);
  const detail = temporalDetail(values.detail, strength);
  const shard = typeof values.shard === 'string' ? parseShard(values.shard) : values.shard;
  const chooseFrames = frameChooser(values);
  switchStyles(values);
  if (purpose === 'render') await checkOutputPath(output, { input, overwrite: values.overwrite });

  const info = await probeVideo(input);
  const { span, partFrames } = chooseFrames(info);
  const parts = partsOf(span, partFrames);
  const weights = style.kind === 'model' ? await modelWeights(style) : undefined;
  const precision = await precisionOf(style, values, weights);
  const look = lookOf(values, info);
  const { schedule, identity: styleAt } = await resolveSchedule(values, style, info, span.end);
  // Each option as it acts on the pixels; plan.json records those the table marks.
  const resolved: Record<string, unknown> = { ...values, ...(await styleIdentity(style, weights)), ...look, temporal: strength, detail: strength > 0 ? detail : undefined, codec, crf, preset, partFrames, precision: precision.name, styleAt, styleFade: schedule && values.styleFade };
  const identity = Object.freeze(Object.fromEntries(PIXEL_OPTIONS.map((name) => [name, resolved[name]])));
  return Object.freeze({
    kind: 'video', input, output, overwrite: !!values.overwrite, style, precision, machine: machineOf(values), look, schedule, restarts: Object.freeze(hardSwitches(schedule)),
    info, container, codec, crf, preset, strength, detail, shard, span, partFrames, waitSeconds: values.wait ?? 0,
    parts: Object.freeze(parts), shardParts: Object.freeze(shard ? shardParts(parts, shard) : parts), warmupLimit: warmupFrames(strength), identity,
    shardValues: Object.freeze({ ...given, style: values.style, precision: precision.name }),
  });
}

/**
 * The runs that render the parts not yet done, each with the warm-up before it and the temporal
 * look-ahead after it. A style switch without a crossfade starts the stage afresh, as the range's
 * start does: no warm-up reaches back over it, and no look-ahead forward over it.
 */
export function plannedRuns(job: Pick<VideoJob, 'shardParts' | 'span' | 'strength' | 'warmupLimit'> & Partial<Pick<VideoJob, 'restarts'>>, done: ReadonlySet<number>): Array<{ parts: Part[]; warmup: number; lookahead: number }> {
  const restarts = job.restarts ?? [];
  const freshFrom = (frame: number) => Math.max(job.span.start, ...restarts.filter((restart) => restart <= frame));
  return contiguousRuns(job.shardParts.filter((p) => !done.has(p.index))).map((run) => ({
    parts: run,
    warmup: Math.min(job.warmupLimit, run[0].start - freshFrom(run[0].start)),
    lookahead: Math.min(lookaheadFrames(job.strength), Math.min(job.span.end + 1, ...restarts.filter((restart) => restart > run.at(-1)!.end)) - run.at(-1)!.end - 1),
  }));
}

export const framesIn = (parts: readonly Part[]): number => parts.reduce((n, p) => n + spanLength(p), 0);

/** What the parts folder records of a render: what its parts are of. */
export function manifestOf(job: VideoJob): PartsManifest {
  const { info } = job;
  return {
    version: 1,
    input: {
      path: resolve(info.path),
      bytes: info.bytes,
      frames: info.frameCount,
      fps: rationalText(info.fps),
      width: info.width,
      height: info.height,
      hasAudio: info.hasAudio,
      audioStream: info.audioStream,
      audioCodec: info.audioCodec,
      videoStartSeconds: info.startSeconds,
    },
    range: job.span,
    partFrames: job.partFrames,
    container: job.container,
    settings: job.identity,
    temporalMethod: job.strength > 0 ? TEMPORAL_METHOD : undefined,
  };
}

/**
 * The frames a render covers and its part length, from frames or start/duration; checked before
 * the input is read, resolved against it after.
 */
export function frameChooser(options: Pick<OptionValues, 'frames' | 'start' | 'duration' | 'partFrames'>): (info: VideoInfo) => { span: FrameSpan; partFrames: number } {
  const range: FrameRange | undefined = typeof options.frames === 'string' ? parseFrameRange(options.frames) : options.frames;
  const byTime = options.start !== undefined || options.duration !== undefined;
  if (range && byTime) throw new OptionError('{frames} and {start}/{duration} both choose frames: give one or the other');
  const seconds = (value: number | string | undefined, option: 'start' | 'duration') => (typeof value === 'string' ? parseTimecode(value, option) : value);
  const [startSeconds, durationSeconds] = [seconds(options.start, 'start'), seconds(options.duration, 'duration')];
  return (info) => {
    const fps = rationalValue(info.fps);
    const chosen = byTime ? timeRange(startSeconds, durationSeconds, fps) : range;
    const { start, count } = chosen ? clampFrameRange(chosen, info.frameCount) : { start: 0, count: info.frameCount };
    return { span: { start, end: start + count - 1 }, partFrames: options.partFrames ?? defaultPartLength(count, fps) };
  };
}
