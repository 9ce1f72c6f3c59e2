// The orchestrator: decode → stylize → temporal → encode, one frame batch at a time.
import { basename, dirname, extname, join } from 'node:path';
import PQueue from 'p-queue';
import { decodeFrames } from './decode/frames.js';
import { probeVideo, rationalValue } from './decode/probe.js';
import { clampFrameRange, parseFrameRange, type FrameRange } from './decode/frame-range.js';
import { containerOf, startEncoder, type Encoder } from './encode/encoder.js';
import { checkCodecFits, defaultCodec, type VideoCodec } from './encode/codecs.js';
import { UsageError } from './errors.js';
import type { RgbFrame } from './frame.js';
import { prepareOutput } from './output.js';
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
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
}

export type PipelineEvent =
  | { type: 'download'; progress: DownloadProgress }
  | { type: 'start'; input: string; output: string; width: number; height: number; fps: number; totalFrames: number; backend: BackendInfo; modelSource: ModelSource; batch: number; concurrency: number; temporal: string }
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
  frames: number;
  width: number;
  height: number;
  fps: number;
  backend: string;
  seconds: number;
  /** seconds spent in each stage as seen from the orchestrator */
  stageSeconds: StageTimes;
}

export const DEFAULT_TEMPORAL_STRENGTH = 0.8;

/** `<input name>.<style><extension>` beside the input; videos default to .mp4, stills keep their own type. */
export function defaultOutputPath(input: string, style: string, extension = '.mp4'): string {
  return join(dirname(input), `${basename(input, extname(input))}.${style}${extension}`);
}

function temporalStrength(temporal: boolean | number | undefined): number {
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
  const range = typeof options.frames === 'string' ? parseFrameRange(options.frames) : options.frames;
  // Usage is checked before the input is read: a typo costs nothing.
  const output = await prepareOutput(outputPath, { input: options.input, overwrite: options.overwrite });
  let encoder: Encoder | undefined;
  let stylizer: Stylizer | undefined;
  try {
    const info = await probeVideo(options.input);
    const span = range ? clampFrameRange(range, info.frameCount) : undefined;
    const totalFrames = span?.count ?? info.frameCount;
    const started = now();
    stylizer = await createStylizer({
      style: options.style,
      modelDir: options.model,
      backend: options.backend,
      batch: options.batch,
      concurrency: options.concurrency,
      onDownload: (progress) => emit({ type: 'download', progress }),
    });
    const temporal = createTemporalStage({ strength });
    emit({
      type: 'start', input: options.input, output: outputPath, width: info.width, height: info.height, fps: rationalValue(info.fps),
      totalFrames, backend: stylizer.backend, modelSource: stylizer.model.source, batch: stylizer.batchSize, concurrency: stylizer.concurrency, temporal: temporal.name,
    });
    encoder = startEncoder({
      path: output.temporaryPath,
      container,
      width: info.width,
      height: info.height,
      fps: info.fps,
      codec,
      crf: options.crf,
      preset: options.preset,
      audioFrom: info.hasAudio
        ? {
            path: info.path,
            codec: info.audioCodec,
            // The audio that plays under the chosen frames, and no more.
            startSeconds: span ? span.start / rationalValue(info.fps) : undefined,
            durationSeconds: span ? span.count / rationalValue(info.fps) : undefined,
          }
        : undefined,
    });
    const frames = decodeFrames(info, span && { startFrame: span.start, frameCount: span.count });
    const times: StageTimes = { decode: 0, stylize: 0, temporal: 0, encode: 0 };
    const written = await runStages(frames, stylizer, temporal, encoder, times, {
      signal: options.signal,
      onProgress: (done) => {
        const elapsed = now() - started;
        const total = Math.max(totalFrames, done);
        emit({ type: 'progress', frame: done, totalFrames: total, fps: done / elapsed, etaSeconds: ((total - done) * elapsed) / done, elapsedSeconds: elapsed });
      },
    });
    const t = now();
    await encoder.finish();
    times.encode += now() - t;
    await output.commit();
    return {
      output: outputPath,
      frames: written,
      width: info.width,
      height: info.height,
      fps: rationalValue(info.fps),
      backend: stylizer.backend.name,
      seconds: now() - started,
      stageSeconds: times,
    };
  } catch (err) {
    encoder?.abort();
    await output.discard();
    throw err;
  } finally {
    await stylizer?.close();
  }
}

/**
 * Pulls decoded frames, stylizes batches ahead (as many at once as there are inference threads),
 * and hands them on in order: the temporal stage and the encoder see frames one by one, as in a
 * sequential run. Returns how many frames were written.
 */
async function runStages(
  frames: AsyncIterable<RgbFrame>,
  stylizer: Stylizer,
  temporal: TemporalStage,
  encoder: Encoder,
  times: StageTimes,
  { signal, onProgress }: { signal?: AbortSignal; onProgress: (written: number) => void },
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
      await encoder.write(frame);
      times.encode += now() - t0;
    }
    written += inputs.length;
    onProgress(written);
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
