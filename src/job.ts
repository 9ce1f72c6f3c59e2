// A render resolved once: the options (checked, defaults filled in) and then the probe turned into
// an immutable job — output, container, codec, strength, frame span, parts, this shard's parts,
// the model by content — that rendering, plan and the parts folder read instead of redoing it.
import { basename, resolve } from 'node:path';
import { clampFrameRange, parseFrameRange, parseTimecode, timeRange, type FrameRange } from './decode/frame-range.js';
import { rationalText, rationalValue, type VideoInfo } from './decode/probe.js';
import { checkCodecFits, defaultCodec, DEFAULT_CRF, type VideoCodec } from './encode/codecs.js';
import { containerOf } from './encode/encoder.js';
import { checkOptions, PIXEL_OPTIONS, withDefaults } from './options/derive.js';
import { OptionError } from './options/option-error.js';
import { RENDER_OPTIONS, type OptionValues } from './options/table.js';
import { contiguousRuns, defaultPartLength, parseShard, partsOf, shardParts, spanLength, warmupFrames, type FrameSpan, type Part, type ShardSpec } from './parts/part-plan.js';
import type { PartsManifest } from './parts/parts-folder.js';
import { renderPrecision, type PrecisionInfo } from './stylize/int8.js';
import { lookaheadFrames, TEMPORAL_METHOD } from './temporal/index.js';
import { loadModelWeights, weightsDigest } from './stylize/model-files.js';
import type { StyleLicence } from './stylize/model-store.js';
import { isStyleImage, styleIdentity, styleLabel, styleLicence } from './stylize/magenta.js';
import type { RgbFrame } from './frame.js';
import type { StylizerOptions } from './stylize/stylizer.js';
import { defaultOutputPath, temporalStrength } from './defaults.js';

/** What is known before the input is read: a typo costs nothing. */
export interface RenderSetup {
  readonly input: string;
  /** the options as given, the table's defaults filled in */
  readonly values: Readonly<OptionValues> & { style: string };
  readonly output: string;
  readonly container: string;
  readonly codec: VideoCodec;
  readonly strength: number;
  /** the catalogue style's licence; undefined for a --model */
  readonly licence?: StyleLicence;
  readonly shard?: ShardSpec;
  readonly chooseFrames: (info: VideoInfo) => { span: FrameSpan; partFrames: number };
}

export interface RenderJob extends RenderSetup {
  readonly info: VideoInfo;
  readonly span: FrameSpan;
  readonly partFrames: number;
  readonly parts: readonly Part[];
  /** this shard's parts (all of them without a shard) */
  readonly mine: readonly Part[];
  /** frames replayed before a part that does not start the range (see warmupFrames) */
  readonly warmupLimit: number;
  /** fp32 or int8, resolved once for the whole render (plan.json records it) */
  readonly precision: PrecisionInfo;
  /** what the pixels depend on, by option (plan.json's settings) */
  readonly identity: Readonly<Record<string, unknown>>;
}

export function prepareRender(input: string, options: OptionValues): RenderSetup {
  checkOptions(options, RENDER_OPTIONS);
  const values = withDefaults(options, RENDER_OPTIONS) as OptionValues & { style: string };
  const output = values.output ?? defaultOutputPath(input, styleLabel(values.style));
  const container = containerOf(output);
  const codec = values.codec ?? defaultCodec(container);
  checkCodecFits(codec, container);
  if (codec === 'prores' && values.crf !== undefined) throw new OptionError('{crf} does not apply to prores: choose its quality with {preset} 0..5 (proxy … 4444 XQ)');
  const licence = styleLicence(values.style, values.model);
  checkStyleStrength(values);
  return Object.freeze({
    input, values, output, container, codec, licence,
    strength: temporalStrength(values.temporal),
    shard: typeof values.shard === 'string' ? parseShard(values.shard) : values.shard,
    chooseFrames: frameChooser(values),
  });
}

/** The setup resolved against the probe, and the model identified by its weights. */
export async function resolveRender(setup: RenderSetup, info: VideoInfo): Promise<RenderJob> {
  const { span, partFrames } = setup.chooseFrames(info);
  const parts = partsOf(span, partFrames);
  const mine = setup.shard ? shardParts(parts, setup.shard) : parts;
  const { model } = setup.values;
  const weights = model ? await loadModelWeights(model, basename(resolve(model))) : undefined;
  const digest = weights ? weightsDigest(weights) : undefined;
  // A picture style is checked (it exists, is a picture, is not huge) here, before anything is written.
  const picture = !model && isStyleImage(setup.values.style);
  const style = model ? undefined : picture ? await styleIdentity(setup.values.style) : setup.values.style;
  const precision = await renderPrecision(setup.values.precision!, setup.values.backend ?? 'auto', { style: model ? undefined : setup.values.style, modelDir: model }, weights);
  // Each option as it acts on the pixels; plan.json records those the table marks.
  const resolved: Record<string, unknown> = {
    ...setup.values,
    style,
    // The strength acts on a picture style only; catalogue renders keep the identity they had.
    styleStrength: picture ? (setup.values.styleStrength ?? 1) : undefined,
    model: model ? `${basename(resolve(model))} (weights sha256 ${digest})` : undefined,
    temporal: setup.strength,
    codec: setup.codec,
    crf: setup.values.crf ?? DEFAULT_CRF[setup.codec],
    partFrames,
    precision: precision.name,
  };
  const identity = Object.freeze(Object.fromEntries(PIXEL_OPTIONS.map((name) => [name, resolved[name]])));
  return Object.freeze({ ...setup, info, span, partFrames, parts: Object.freeze(parts), mine: Object.freeze(mine), warmupLimit: warmupFrames(setup.strength), precision, identity });
}

/**
 * The stylizer every entry point creates, from the options and the size of the frames it will be
 * given (which keeps ONNX Runtime within its memory budget): one place, so none forgets a field.
 */
export function stylizerOptionsFor(
  values: Pick<OptionValues, 'style' | 'styleStrength' | 'model' | 'backend' | 'batch' | 'concurrency'> & { precision?: StylizerOptions['precision'] },
  frameSize: { width: number; height: number },
  onDownload?: StylizerOptions['onDownload'],
  /** a picture style's strength below 1 mixes in this frame's own style: the first of the whole range */
  contentFrame?: () => Promise<RgbFrame>,
): StylizerOptions {
  return {
    style: values.style ?? 'wave', styleStrength: values.styleStrength, modelDir: values.model, backend: values.backend, precision: values.precision, batch: values.batch, concurrency: values.concurrency,
    frameSize, onDownload, contentFrame,
  };
}

/** The runs that render the parts not yet done, each with the warm-up before it and the temporal look-ahead after it. */
export function plannedRuns(job: RenderJob, done: ReadonlySet<number>): Array<{ parts: Part[]; warmup: number; lookahead: number }> {
  return contiguousRuns(job.mine.filter((p) => !done.has(p.index))).map((run) => ({
    parts: run,
    warmup: Math.min(job.warmupLimit, run[0].start - job.span.start),
    lookahead: Math.min(lookaheadFrames(job.strength), job.span.end - run.at(-1)!.end),
  }));
}

export const framesIn = (parts: readonly Part[]): number => parts.reduce((n, p) => n + spanLength(p), 0);

/** What the parts folder records of a render: what its parts are of. */
export function manifestOf(job: RenderJob): PartsManifest {
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
  checkOptions({ partFrames: options.partFrames }, ['partFrames']);
  return (info) => {
    const fps = rationalValue(info.fps);
    const chosen = byTime ? timeRange(startSeconds, durationSeconds, fps) : range;
    const { start, count } = chosen ? clampFrameRange(chosen, info.frameCount) : { start: 0, count: info.frameCount };
    return { span: { start, end: start + count - 1 }, partFrames: options.partFrames ?? defaultPartLength(count, fps) };
  };
}

/** The strength mixes a picture's style with the content's own: with a catalogue style it would silently do nothing. */
export function checkStyleStrength(values: Pick<OptionValues, 'style' | 'styleStrength' | 'model'>): void {
  if (values.styleStrength !== undefined && (values.model || !isStyleImage(values.style))) {
    throw new OptionError('{styleStrength} applies to a picture given as the style ({style} painting.jpg), not to a catalogue style or a {model}');
  }
}
