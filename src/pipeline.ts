// The orchestrator: decode → stylize → temporal → encode, one frame batch at a time.
import { basename, dirname, extname, join, resolve } from 'node:path';
import PQueue from 'p-queue';
import { decodeFrames } from './decode/frames.js';
import { probeVideo, rationalText, rationalValue, type VideoInfo } from './decode/probe.js';
import { clampFrameRange, parseFrameRange, parseTimecode, timeRange, type FrameRange } from './decode/frame-range.js';
import { containerOf } from './encode/encoder.js';
import { checkCodecFits, defaultCodec, DEFAULT_CRF, type VideoCodec } from './encode/codecs.js';
import { UsageError } from './errors.js';
import type { RgbFrame } from './frame.js';
import { checkOutputPath } from './output.js';
import { joinParts } from './parts/join.js';
import { contiguousRuns, defaultPartLength, parseShard, partsOf, shardParts, spanLength, warmupFrames, type FrameSpan, type Part, type ShardSpec } from './parts/part-plan.js';
import { openPartsFolder, type PartsManifest } from './parts/parts-folder.js';
import { startPartWriter, type FrameSink } from './parts/part-writer.js';
import type { BackendChoice, BackendInfo } from './stylize/backend.js';
import { styleEntry, type DownloadProgress, type ModelSource } from './stylize/model-store.js';
import { createStylizer, type Stylizer } from './stylize/stylizer.js';
import { createTemporalStage, type TemporalStage } from './temporal/index.js';

export interface StylizeVideoOptions {
  input: string;
  /** default: `<input name>.<style>.mp4` beside the input */
  output?: string;
  style: string;
  /** a model folder to use instead of the catalogue's style */
  model?: string;
  backend?: BackendChoice;
  batch?: number;
  /** inference threads on wasm/cpu: a count or a percentage of the cores ('50%') */
  concurrency?: number | string;
  /** temporal-consistency strength 0..1; false or 0 for independent frames */
  temporal?: boolean | number;
  codec?: VideoCodec;
  crf?: number;
  preset?: string;
  overwrite?: boolean;
  /** only these frames: "120-239", "120-", "42", or a parsed range (0-based, inclusive) */
  frames?: string | FrameRange;
  /** or by time: from this many seconds in (or a timecode "1:23.5") ... */
  start?: number | string;
  /** ... for this long */
  duration?: number | string;
  /**
   * Render only shard I of N ("I/N", "auto/N" or parsed) into `<output>.parts/`, for `joinParts`
   * once every shard is done. Without it the render still goes by parts, resumes after a crash,
   * and joins them itself.
   */
  shard?: string | ShardSpec;
  /** frames per part (default: 10 s, less for short videos, at least 1 s) */
  partFrames?: number;
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
}

export type PipelineEvent =
  | { type: 'download'; progress: DownloadProgress }
  | {
      type: 'start'; input: string; output: string; width: number; height: number; fps: number;
      /** frames this run stylizes, warm-up included */
      totalFrames: number;
      /** this run's parts, and how many of them an earlier run finished */
      parts: { total: number; done: number };
      shard?: ShardSpec;
      /** frames before a part replayed to bring the temporal stage to where an uninterrupted run has it */
      warmupFrames: number;
      /** undefined when every part was already done */
      backend?: BackendInfo; modelSource?: ModelSource; batch?: number; concurrency?: number;
      temporal: string;
    }
  | { type: 'progress'; frame: number; totalFrames: number; fps: number; etaSeconds: number; elapsedSeconds: number };

export interface StageTimes {
  /** waiting for decoded frames */
  decode: number;
  /** the network */
  stylize: number;
  temporal: number;
  /** waiting for the encoder to take frames, and for it to finish */
  encode: number;
}

export interface StylizeVideoResult {
  output: string;
  /** frames in the output, or in this shard's parts */
  frames: number;
  /** frames this run put through the network, warm-up included; 0 if earlier runs did everything */
  stylizedFrames: number;
  parts: { total: number; rendered: number; alreadyDone: number; /** where a shard's parts wait for the join */ folder?: string };
  /** false for a shard: its parts wait in the parts folder */
  joined: boolean;
  width: number;
  height: number;
  fps: number;
  backend: string;
  seconds: number;
  /** seconds spent in each stage as seen from the orchestrator */
  stageSeconds: StageTimes;
}

// 0.7: on the flat-sky clip (BBB 20–22 s) 0.8 kept only 0.842 SSIM to the per-frame style (the bar is 0.85); 0.7 keeps 0.884 there
// and 0.940 on the clip with a cut, at 10% and 23% of the per-frame E_warp.
export const DEFAULT_TEMPORAL_STRENGTH = 0.7;

/** `<input name>.<style><extension>` beside the input; videos default to .mp4, stills keep their own type. */
export function defaultOutputPath(input: string, style: string, extension = '.mp4'): string {
  return join(dirname(input), `${basename(input, extname(input))}.${style}${extension}`);
}

/** --temporal as a strength: the default for true or unset, 0 for false. */
export function temporalStrength(temporal: boolean | number | undefined): number {
  if (temporal === undefined || temporal === true) return DEFAULT_TEMPORAL_STRENGTH;
  if (temporal === false) return 0;
  if (!(temporal >= 0 && temporal <= 1)) throw new UsageError(`--temporal ${temporal}: give a strength between 0 and 1`);
  return temporal;
}

const now = () => performance.now() / 1000;

export async function stylizeVideo(options: StylizeVideoOptions): Promise<StylizeVideoResult> {
  const emit = options.onEvent ?? (() => undefined);
  const outputPath = options.output ?? defaultOutputPath(options.input, options.style);
  const container = containerOf(outputPath);
  const codec = options.codec ?? defaultCodec(container);
  checkCodecFits(codec, container);
  const strength = temporalStrength(options.temporal);
  if (codec === 'prores' && options.crf !== undefined) throw new UsageError('--crf does not apply to prores: choose its quality with --preset 0..5 (proxy … 4444 XQ)');
  if (!options.model) styleEntry(options.style);
  const chooseFrames = frameChooser(options);
  const shard = typeof options.shard === 'string' ? parseShard(options.shard) : options.shard;
  // Usage is checked before the input is read: a typo costs nothing.
  await checkOutputPath(outputPath, { input: options.input, overwrite: options.overwrite });

  const info = await probeVideo(options.input);
  const fps = rationalValue(info.fps);
  const { span, partFrames } = chooseFrames(info);
  const parts = partsOf(span, partFrames);
  const mine = shard ? shardParts(parts, shard) : parts;
  const folder = await openPartsFolder(outputPath, manifestFor(info, span, partFrames, container, { ...options, codec, strength }), { overwrite: options.overwrite });
  const done = await folder.completed(mine);
  const runs = contiguousRuns(mine.filter((p) => !done.has(p.index)));
  const warmupLimit = warmupFrames(strength);
  // A run that does not start the range first replays the frames before it through the temporal stage.
  const plannedRuns = runs.map((run) => ({ parts: run, warmup: Math.min(warmupLimit, run[0].start - span.start) }));
  const toStylize = plannedRuns.reduce((n, r) => n + r.warmup + r.parts.reduce((m, p) => m + spanLength(p), 0), 0);

  const started = now();
  const times: StageTimes = { decode: 0, stylize: 0, temporal: 0, encode: 0 };
  let stylizer: Stylizer | undefined;
  let backend = 'none';
  let processed = 0;
  try {
    if (plannedRuns.length) {
      stylizer = await createStylizer({
        style: options.style,
        modelDir: options.model,
        backend: options.backend,
        batch: options.batch,
        concurrency: options.concurrency,
        frameSize: info,
        onDownload: (progress) => emit({ type: 'download', progress }),
      });
      backend = stylizer.backend.name;
    }
    // Each run starts the blend afresh. On a GPU the flow runs there too, as TF.js ops; on a CPU
    // the JS flow is the faster.
    const newTemporalStage = () => createTemporalStage({ strength, flowOnBackend: stylizer?.backend.name === 'gpu' });
    emit({
      type: 'start', input: options.input, output: outputPath, width: info.width, height: info.height, fps,
      totalFrames: toStylize, parts: { total: mine.length, done: done.size }, shard, warmupFrames: plannedRuns.reduce((n, r) => n + r.warmup, 0),
      backend: stylizer?.backend, modelSource: stylizer?.model.source, batch: stylizer?.batchSize, concurrency: stylizer?.concurrency,
      temporal: newTemporalStage().name,
    });
    for (const run of plannedRuns) {
      const first = run.parts[0].start - run.warmup;
      const count = run.parts.at(-1)!.end - first + 1;
      const writer = startPartWriter(folder, run.parts, { width: info.width, height: info.height, fps: info.fps, container, codec, crf: options.crf, preset: options.preset });
      try {
        const alreadyProcessed = processed;
        await runStages(decodeFrames(info, { startFrame: first, frameCount: count }), stylizer!, newTemporalStage(), writer, times, {
          signal: options.signal,
          onProgress: (n) => {
            processed = alreadyProcessed + n;
            const elapsed = now() - started;
            emit({ type: 'progress', frame: processed, totalFrames: toStylize, fps: processed / elapsed, etaSeconds: ((toStylize - processed) * elapsed) / processed, elapsedSeconds: elapsed });
          },
        });
        const t = now();
        await writer.finish();
        times.encode += now() - t;
      } catch (err) {
        await writer.abort();
        throw err;
      }
    }
  } catch (err) {
    // A failed single run that finished no part leaves nothing behind; shards share the folder.
    if (!shard && (await folder.completed(parts)).size === 0) await folder.remove();
    throw err;
  } finally {
    await stylizer?.close();
  }
  const joined = shard ? undefined : await joinParts({ output: outputPath, input: options.input, overwrite: options.overwrite });
  return {
    output: outputPath,
    frames: mine.reduce((n, p) => n + spanLength(p), 0),
    stylizedFrames: processed,
    parts: { total: mine.length, rendered: mine.length - done.size, alreadyDone: done.size, folder: joined ? undefined : folder.dir },
    joined: !!joined,
    width: info.width,
    height: info.height,
    fps,
    backend,
    seconds: now() - started,
    stageSeconds: times,
  };
}

/**
 * The frames a render covers and its part length, from --frames or --start/--duration; checked
 * before the input is read, resolved against it after.
 */
export function frameChooser(options: Pick<StylizeVideoOptions, 'frames' | 'start' | 'duration' | 'partFrames'>): (info: VideoInfo) => { span: FrameSpan; partFrames: number } {
  const range = typeof options.frames === 'string' ? parseFrameRange(options.frames) : options.frames;
  const byTime = options.start !== undefined || options.duration !== undefined;
  if (range && byTime) throw new UsageError('--frames and --start/--duration both choose frames: give one or the other');
  const seconds = (value: number | string | undefined, flag: string) => (typeof value === 'string' ? parseTimecode(value, flag) : value);
  const [startSeconds, durationSeconds] = [seconds(options.start, '--start'), seconds(options.duration, '--duration')];
  if (options.partFrames !== undefined && !(Number.isInteger(options.partFrames) && options.partFrames >= 1)) {
    throw new UsageError(`--part-frames ${options.partFrames}: give a whole number of frames, 1 or more`);
  }
  return (info) => {
    const fps = rationalValue(info.fps);
    const chosen = byTime ? timeRange(startSeconds, durationSeconds, fps) : range;
    const { start, count } = chosen ? clampFrameRange(chosen, info.frameCount) : { start: 0, count: info.frameCount };
    return { span: { start, end: start + count - 1 }, partFrames: options.partFrames ?? defaultPartLength(count, fps) };
  };
}

function manifestFor(
  info: VideoInfo,
  range: FrameSpan,
  partFrames: number,
  container: string,
  settings: { style: string; model?: string; strength: number; codec: VideoCodec; crf?: number; preset?: string },
): PartsManifest {
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
    range,
    partFrames,
    container,
    settings: {
      style: settings.model ? `model:${basename(resolve(settings.model))}` : settings.style,
      temporal: settings.strength,
      codec: settings.codec,
      crf: settings.crf ?? DEFAULT_CRF[settings.codec],
      preset: settings.preset,
    },
  };
}

/**
 * Pulls decoded frames, stylizes batches ahead (as many at once as there are inference threads),
 * and hands them on in order: the temporal stage and the encoder see frames one by one, as in a
 * sequential run. Returns how many frames went through.
 */
export async function runStages(
  frames: AsyncIterable<RgbFrame>,
  stylizer: Stylizer,
  temporal: TemporalStage,
  encoder: FrameSink,
  times: StageTimes,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (written: number) => void } = {},
): Promise<number> {
  let written = 0;
  const queue = new PQueue({ concurrency: stylizer.concurrency });
  const inFlight: Array<{ inputs: RgbFrame[]; stylized: Promise<RgbFrame[]> }> = [];
  const submit = (inputs: RgbFrame[]) => {
    const stylized = queue.add(async () => {
      const t0 = now();
      const result = await stylizer.stylize(inputs);
      times.stylize += now() - t0;
      return result;
    });
    stylized.catch(() => undefined); // awaited in order below; this only keeps it from counting as unhandled meanwhile
    inFlight.push({ inputs, stylized });
  };
  const completeOldest = async () => {
    const { inputs, stylized } = inFlight.shift()!;
    const outputs = await stylized;
    for (let i = 0; i < inputs.length; i++) {
      let t0 = now();
      const frame = temporal.next(inputs[i], outputs[i]);
      times.temporal += now() - t0;
      t0 = now();
      await encoder.write(frame, inputs[i]);
      times.encode += now() - t0;
    }
    written += inputs.length;
    onProgress?.(written);
  };

  let batch: RgbFrame[] = [];
  let t = now();
  for await (const frame of frames) {
    times.decode += now() - t;
    signal?.throwIfAborted();
    batch.push(frame);
    if (batch.length === stylizer.batchSize) {
      submit(batch);
      batch = [];
      while (inFlight.length > stylizer.concurrency) await completeOldest();
    }
    t = now();
  }
  if (batch.length) submit(batch);
  while (inFlight.length) {
    signal?.throwIfAborted();
    await completeOldest();
  }
  return written;
}
