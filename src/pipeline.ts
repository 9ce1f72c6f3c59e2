// The orchestrator: decode → stylize → temporal → encode, one frame batch at a time.
import { availableParallelism } from 'node:os';
import PQueue from 'p-queue';
import { decodeFrames } from './decode/frames.js';
import { probeVideo, rationalValue, type VideoInfo } from './decode/probe.js';
import type { RgbFrame } from './frame.js';
import { framesIn, manifestOf, plannedRuns, resolveVideo, stylizerOptions, type VideoJob, type VideoRequest } from './job/index.js';
import { joinParts } from './parts/join.js';
import type { ShardSpec } from './parts/part-plan.js';
import { liveHolders } from './parts/part-locks.js';
import { openAndLockPartsFolder } from './parts/parts-folder.js';
import { explainFailure } from './parts/render-faults.js';
import { startPartWriter, type FrameSink } from './parts/part-writer.js';
import type { BackendInfo } from './stylize/backend.js';
import type { Look } from './stylize/look.js';
import type { PrecisionInfo } from './stylize/int8.js';
import type { DownloadProgress, ModelSource, StyleLicence } from './stylize/model-store.js';
import { createStylizer, parseConcurrency, type Stylizer } from './stylize/stylizer.js';
import { FlowPool, flowWorkers } from './temporal/flow-pool.js';
import { createTemporalStage, describeTemporalStage, stageFlows, type FinishedFrame, type TemporalStage } from './temporal/index.js';
import { analyseInThread, type InputAnalyser } from './temporal/input-analysis.js';

/** A video render: the input, the render options of the table (src/options/table.ts), and how to follow it. */
export type StylizeVideoOptions = VideoRequest & {
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
};

export type PipelineEvent =
  | { type: 'download'; progress: DownloadProgress }
  | {
      type: 'start'; input: string; output: string; width: number; height: number; fps: number;
      /** frames this run stylizes, warm-up included */
      totalFrames: number;
      /** this run's parts, and how many of them an earlier run finished */
      parts: { total: number; done: number; /** parts found damaged (cut short, bytes changed) and made again */ damaged?: Array<{ part: number; reason: string }> };
      shard?: ShardSpec;
      /** frames before a part replayed to bring the temporal stage to where an uninterrupted run has it */
      warmupFrames: number;
      /** undefined when every part was already done */
      backend?: BackendInfo; modelSource?: ModelSource; batch?: number; concurrency?: number;
      /** fp32 or int8, what was asked and why this (undefined when every part was already done) */
      precision?: PrecisionInfo;
      temporal: string;
      /** threads computing the temporal stage's flow ahead, beside the network; 0 in the main thread (undefined with the stage off, or every part done) */
      flowWorkers?: number;
      /** the style's licence (undefined for a model folder); commercialUse false: research use only */
      licence?: StyleLicence;
    }
  | { type: 'progress'; frame: number; totalFrames: number; fps: number; etaSeconds: number; elapsedSeconds: number };

/** Seconds each stage took, as the orchestrator sees them (divided by the frames: where each frame's time goes). */
export interface StageTimes {
  /** waiting for decoded frames */
  decode: number;
  /** the network, summed over the batches in flight at once */
  stylize: number;
  /** the network's wall time: while at least one batch was in flight */
  stylizeWall: number;
  /** the input analysis (flows, masks, colours), summed over the threads that computed it */
  flow: number;
  /** the main thread waiting for the input analysis (computing it, where no flow worker runs) */
  flowWait: number;
  /** the temporal stage's sequential part: the warp and the blend (with no analysis given, the analysis too) */
  temporal: number;
  /** waiting for the encoder to take frames, and for it to finish */
  encode: number;
}

/** A StageTimes at zero. */
export const noStageTimes = (): StageTimes => ({ decode: 0, stylize: 0, stylizeWall: 0, flow: 0, flowWait: 0, temporal: 0, encode: 0 });

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
  /** 'fp32' or 'int8' ('none' when every part was already done) */
  precision: string;
  seconds: number;
  /** seconds spent in each stage as seen from the orchestrator */
  stageSeconds: StageTimes;
  /** the catalogue style's licence (undefined for --model) */
  licence?: StyleLicence;
  /** stroke scale (resolved), intensity and original colours */
  look: Look;
  /** the style switches as resolved: each at its frame (a time on its frame, or on the cut it snapped to), its crossfade in frames */
  styleAt?: Array<{ frame: number; fadeFrames: number; style: string }>;
}

const now = () => performance.now() / 1000;

export async function stylizeVideo(options: StylizeVideoOptions): Promise<StylizeVideoResult> {
  const { signal, onEvent, ...request } = options;
  return runVideo(await resolveVideo(request), { signal, onEvent });
}

export async function runVideo(job: VideoJob, { signal, onEvent }: Pick<StylizeVideoOptions, 'signal' | 'onEvent'> = {}): Promise<StylizeVideoResult> {
  const emit = onEvent ?? (() => undefined);
  const { info, parts, shardParts, output: outputPath, container, shard } = job;
  const fps = rationalValue(info.fps);
  const what = shard ? `shard ${shard.index}/${shard.count} of ${outputPath}` : `a render of ${outputPath}`;
  const { folder, locks, sound: done, damaged } = await openAndLockPartsFolder(outputPath, manifestOf(job), shardParts, { overwrite: job.overwrite, what, waitSeconds: job.waitSeconds, signal });
  const runs = plannedRuns(job, done);
  const toStylize = runs.reduce((n, r) => n + r.warmup + framesIn(r.parts) + r.lookahead, 0);

  const started = now();
  const times = noStageTimes();
  let stylizer: Stylizer | undefined;
  let flowPool: FlowPool | undefined;
  let backend = 'none';
  let precision = 'none';
  let processed = 0;
  let joined: Awaited<ReturnType<typeof joinParts>> | undefined;
  try {
    try {
      if (runs.length) {
        // A picture style's content vector comes from the first frame of the whole range (not of this
        // shard or run), which every shard of a plan shares, so their parts agree.
        const contentFrame = () => decodeOne(info, job.span.start);
        stylizer = await createStylizer(stylizerOptions(job, info, contentFrame, (progress) => emit({ type: 'download', progress })));
        backend = stylizer.backend.name;
        precision = stylizer.precision.name;
      }
      // Each run starts the blend afresh. On a GPU the flow runs there too, as TF.js ops; on a CPU
      // OpenCV's Farnebäck (wasm) follows real footage best.
      const temporalOptions = { strength: job.strength, detail: job.detail, flowOnBackend: stylizer?.backend.name === 'tfjs-gpu' };
      const newTemporalStage = () => createTemporalStage({ ...temporalOptions, analysedAhead: true });
      // The input analysis ahead, in flow workers beside the network; in this thread where none
      // (or where the flow runs on the GPU as TF.js ops).
      const workers = runs.length && job.strength > 0 && !temporalOptions.flowOnBackend ? (job.machine.flowWorkers ?? flowWorkers(availableParallelism(), stylizer!.backend.name === 'gpu' ? 1 : parseConcurrency(job.machine.concurrency))) : 0;
      if (workers) flowPool = await FlowPool.start(workers);
      const newAnalyser = async (): Promise<InputAnalyser | undefined> => (job.strength === 0 ? undefined : (flowPool?.analyser() ?? analyseInThread(await stageFlows(temporalOptions.flowOnBackend))));
      emit({
        type: 'start', input: job.input, output: outputPath, width: info.width, height: info.height, fps,
        totalFrames: toStylize, parts: { total: shardParts.length, done: done.size, damaged: damaged.length ? damaged.map((d) => ({ part: d.part.index, reason: d.reason })) : undefined }, shard, warmupFrames: runs.reduce((n, r) => n + r.warmup, 0),
        backend: stylizer?.backend, precision: stylizer?.precision, modelSource: stylizer?.model.source, batch: stylizer?.batchSize, concurrency: stylizer?.concurrency,
        temporal: describeTemporalStage(temporalOptions), flowWorkers: runs.length && job.strength > 0 ? workers : undefined, licence: job.style.licence,
      });
      for (const run of runs) {
        const first = run.parts[0].start - run.warmup;
        const count = run.parts.at(-1)!.end - first + 1 + run.lookahead;
        const writer = startPartWriter(folder, run.parts, { width: info.width, height: info.height, fps: info.fps, container, codec: job.codec, crf: job.crf, preset: job.preset }, shard && `${shard.index}/${shard.count}`, locks);
        try {
          const alreadyProcessed = processed;
          await runStages(decodeFrames(info, { startFrame: first, frameCount: count }), stylizer!, await newTemporalStage(), writer, times, {
            signal,
            analyser: await newAnalyser(),
            restart: { at: new Set(job.restarts), stage: newTemporalStage },
            onProgress: (n) => {
              processed = alreadyProcessed + n;
              const elapsed = now() - started;
              emit({ type: 'progress', frame: processed, totalFrames: toStylize, fps: processed / elapsed, etaSeconds: ((toStylize - processed) * elapsed) / processed, elapsedSeconds: elapsed });
            },
          });
          const t = now();
          await writer.finish();
          times.encode += now() - t;
          await locks.assertHeld();
        } catch (err) {
          await writer.abort();
          throw err;
        }
      }
    } catch (err) {
      // A failed single run that finished no part leaves nothing behind; shards share the folder.
      if (!shard && (await folder.completed(parts).catch(() => new Set())).size === 0 && !(await liveHolders(folder.dir)).length) await folder.remove();
      throw await explainFailure(err, folder, job);
    } finally {
      await Promise.all([stylizer?.close(), flowPool?.close()]);
    }
    joined = shard ? undefined : await joinParts({ output: outputPath, input: job.input, overwrite: job.overwrite });
  } finally {
    await locks.release();
  }
  return {
    output: outputPath,
    frames: framesIn(shardParts),
    stylizedFrames: processed,
    parts: { total: shardParts.length, rendered: shardParts.length - done.size, alreadyDone: done.size, folder: joined ? undefined : folder.dir },
    joined: !!joined,
    width: info.width,
    height: info.height,
    fps,
    backend,
    precision,
    seconds: now() - started,
    stageSeconds: times,
    licence: job.style.licence,
    look: job.look,
    styleAt: job.schedule?.switches.map((at) => ({ frame: at.frame, fadeFrames: at.fade, style: job.schedule!.styles[at.style].style })),
  };
}

/**
 * Pulls decoded frames, stylizes batches ahead (as many at once as there are inference threads),
 * and hands them on in order: the temporal stage and the encoder see frames one by one, as in a
 * sequential run. Each decoded frame also goes to `analyser` at once, whose analysis (the flows:
 * input-analysis.ts) the stage takes with the frame; the frames between the decoder and the
 * stage, at most the batches in flight and the one filling, bound both. Returns how many frames
 * went through.
 */
export async function runStages(
  frames: AsyncIterable<RgbFrame>,
  stylizer: Stylizer,
  temporal: TemporalStage,
  encoder: FrameSink,
  times: StageTimes,
  {
    signal,
    onProgress,
    analyser,
    restart,
  }: {
    signal?: AbortSignal;
    onProgress?: (written: number) => void;
    /** the input analysis, fed each decoded frame at once and taken in order (in flow workers, or in this thread) */
    analyser?: InputAnalyser;
    /** frames where the temporal stage ends as at a run's end and a fresh one takes over (a style switch without a crossfade) */
    restart?: { at: ReadonlySet<number>; stage: () => Promise<TemporalStage> };
  } = {},
): Promise<number> {
  let written = 0;
  const queue = new PQueue({ concurrency: stylizer.concurrency });
  const inFlight: Array<{ inputs: RgbFrame[]; stylized: Promise<RgbFrame[]> }> = [];
  let networkBusy = 0;
  let networkSince = 0;
  const submit = (inputs: RgbFrame[]) => {
    const stylized = queue.add(async () => {
      const t0 = now();
      if (networkBusy++ === 0) networkSince = t0;
      try {
        return await stylizer.stylize(inputs);
      } finally {
        const t1 = now();
        times.stylize += t1 - t0;
        if (--networkBusy === 0) times.stylizeWall += t1 - networkSince;
      }
    });
    stylized.catch(() => undefined); // awaited in order below; this only keeps it from counting as unhandled meanwhile
    inFlight.push({ inputs, stylized });
  };
  const timed = async <T>(stage: keyof StageTimes, step: () => T | Promise<T>): Promise<T> => {
    const t0 = now();
    try {
      return await step();
    } finally {
      times[stage] += now() - t0;
    }
  };
  /** Writes the frames the temporal stage finished. */
  const write = async (finished: FinishedFrame[]) => {
    for (const { input, output } of finished) {
      await timed('encode', () => encoder.write(output, input));
      written++;
    }
  };
  /** Runs the temporal stage on the oldest batch, in order, and reports progress if frames came out (the first batch may only fill the stage's look-ahead). */
  const completeOldest = async () => {
    const { inputs, stylized } = inFlight.shift()!;
    const outputs = await stylized;
    const before = written;
    for (const [i, input] of inputs.entries()) {
      const analysed = analyser && (await timed('flowWait', () => analyser.take()));
      if (analysed) times.flow += analysed.seconds;
      if (restart?.at.has(input.index)) {
        // The stage before ends as a run ends; the fresh one ignores the analysis' motion back to it.
        await write(await timed('temporal', () => temporal.end()));
        temporal = await restart.stage();
      }
      await write(await timed('temporal', () => temporal.next(input, outputs[i], analysed?.analysis)));
    }
    if (written > before) onProgress?.(written);
  };

  let batch: RgbFrame[] = [];
  let t = now();
  for await (const frame of frames) {
    times.decode += now() - t;
    signal?.throwIfAborted();
    analyser?.add(frame);
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
  const before = written;
  await write(await timed('temporal', () => temporal.end()));
  if (written > before) onProgress?.(written);
  return written;
}

/** One decoded frame. */
export async function decodeOne(info: VideoInfo, index: number): Promise<RgbFrame> {
  let frame: RgbFrame | undefined;
  for await (const decoded of decodeFrames(info, { startFrame: index, frameCount: 1 })) frame = decoded;
  if (!frame) throw new Error(`frame ${index} could not be decoded`);
  return frame;
}
