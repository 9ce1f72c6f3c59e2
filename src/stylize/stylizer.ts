// The stylize stage as the pipeline sees it: frames in, stylized frames out. Calls may overlap;
// each resolves with its own batch.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { invalidOption } from '../errors.js';
import type { RgbFrame } from '../frame.js';
import { defaultBatchSize, initBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { choosePrecision, FP32, int8Settings, storedCalibration, type PrecisionInfo } from './int8.js';
import type { TfliteStyle } from './inference-worker.js';
import { loadModelWeights, type ModelWeights } from './model-files.js';
import { networkSize, PLAIN_LOOK, strokeScaleFor, withLook, type Look } from './look.js';
import type { Int8Settings } from './onnx-model.js';
import type { OnnxGraph } from './onnx-net.js';
import { modelCacheDir, resolveModel, type DownloadProgress, type ResolvedModel } from './model-store.js';
import { TransformerNet } from './transformer-net.js';
import { ARBITRARY, blendVectors, decodeStyleImage, isStyleImage, magentaFile, magentaOnnx, readStyleImage, styleVector, TRANSFORMER, VECTOR_LENGTH } from './magenta.js';
import { readTflite } from './tflite.js';
import { TfliteGraph, TfliteStyleNet } from './tflite-tf.js';
import { WorkerPool } from './worker-pool.js';
import { stylizeScheduled, type ScheduledNetworks, type ScheduledStyle, type StyleSchedule } from './style-schedule.js';
import { withGpuRetries } from './gpu-faults.js';

export interface StylizerOptions {
  style: string;
  /** a model folder to use instead of the catalogue's */
  modelDir?: string;
  backend?: BackendChoice;
  /** fp32 or int8 (ONNX Runtime, a calibrated model), as the job resolved it (int8.ts, renderPrecision) */
  precision?: PrecisionInfo;
  /** frames per inference call; the backend's own default when unset */
  batch?: number;
  /** inference threads for wasm/cpu/onnx: a count, or a percentage of the cores ('50%'); default all cores */
  concurrency?: number | string;
  /** the frame size to come, when known: large frames get fewer, wider ONNX Runtime sessions */
  frameSize?: { width: number; height: number };
  onDownload?: (progress: DownloadProgress) => void;
  /** with a picture as the style: how much of its style, 0..1 (default 1) */
  styleStrength?: number;
  /**
   * with a picture as the style and a strength below 1: the frame whose own style vector is mixed in.
   * A render gives the first frame of its whole range, so every shard of a farm mixes in the same one.
   */
  contentFrame?: () => Promise<RgbFrame>;
  /** stroke scale, original colours and intensity, applied to every frame the network returns */
  look?: Look;
  /** styles that change over time (styles[0] is this style): each frame by its index in the input */
  schedule?: StyleSchedule;
}

export interface Stylizer {
  readonly backend: BackendInfo;
  readonly precision: PrecisionInfo;
  readonly model: ResolvedModel;
  readonly batchSize: number;
  /** how many batches can be in flight at once */
  readonly concurrency: number;
  stylize(frames: RgbFrame[]): Promise<RgbFrame[]>;
  close(): Promise<void>;
}

export function parseConcurrency(value: number | string | undefined, cores = availableParallelism()): number {
  if (value === undefined) return cores;
  const text = String(value).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const n = percent ? Math.round((Number(percent[1]) / 100) * cores) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw invalidOption('concurrency', text, `give a whole number of threads (1 or more) or a percentage of the ${cores} cores, like 50%`);
  }
  return n;
}

/** Measured peak of one ONNX Runtime session, per pixel of frame: about 800 MB at 1920x1080. */
const ONNX_BYTES_PER_PIXEL = 400;
/** What the sessions of one render may hold: per process, so renders side by side each take up to this (docs/farm-faults.md). */
const ONNX_MEMORY_BUDGET = 1024 ** 3;

/**
 * One single-threaded session per thread where frames are small: at 640x360 on 2 cores that ran
 * 0.35 s/frame end to end, against 0.43 for one session with 2 threads. Large frames get fewer
 * sessions with more threads each, so that memory stays within the budget (1080p: one session).
 */
export function onnxSessions(threads: number, frameSize?: { width: number; height: number }): number {
  if (!frameSize) return threads;
  const perSession = frameSize.width * frameSize.height * ONNX_BYTES_PER_PIXEL;
  return Math.max(1, Math.min(threads, Math.floor(ONNX_MEMORY_BUDGET / perSession)));
}

/** Node, the decoder, the encoder and the temporal stage besides the sessions, with room (measured: docs/container.md). */
const RENDER_BASE_BYTES = 256 * 1024 ** 2;

/** A render's expected peak memory with this many threads on frames of this size: what a farm job should request. */
export function renderMemoryBytes(threads: number, frameSize: { width: number; height: number }): number {
  return onnxSessions(threads, frameSize) * frameSize.width * frameSize.height * ONNX_BYTES_PER_PIXEL + RENDER_BASE_BYTES;
}

export async function createStylizer(options: StylizerOptions): Promise<Stylizer> {
  const look = options.look ?? PLAIN_LOOK;
  const size = options.frameSize;
  // The network's sessions are sized for the frames it sees: with a stroke scale, smaller ones.
  const frameSize = size && networkSize(size.width, size.height, strokeScaleFor(look, size.width, size.height));
  const schedule = options.schedule;
  const network = schedule?.switches.length ? await createScheduledNetworks(schedule, { ...options, frameSize }) : await createNetwork({ ...options, frameSize });
  return withLook(network, look);
}

/**
 * One network per distinct style, made once; picture styles share one Magenta transformer, with a
 * vector each. Frames go through their style (style-schedule.ts).
 */
async function createScheduledNetworks(schedule: StyleSchedule, options: StylizerOptions): Promise<Stylizer> {
  const key = (s: ScheduledStyle) => (s.modelDir ? `model ${s.modelDir}` : isStyleImage(s.style) ? 'pictures' : `style ${s.style}`);
  const made = new Map<string, Promise<Stylizer>>();
  const networkOf = (s: ScheduledStyle) => {
    if (!made.has(key(s))) made.set(key(s), createNetwork({ ...options, ...s }));
    return made.get(key(s))!;
  };
  const networks = await Promise.allSettled(schedule.styles.map(networkOf));
  const nets = networks.flatMap((n) => (n.status === 'fulfilled' ? [n.value] : []));
  const closeAll = async () => void (await Promise.all([...new Set(nets)].map((net) => net.close())));
  let vectors: Array<Float32Array | undefined>;
  try {
    const failed = networks.find((n) => n.status === 'rejected');
    if (failed) throw failed.reason;
    vectors = await Promise.all(schedule.styles.map((s) => (isStyleImage(s.style) && !s.modelDir ? pictureStyleVector({ ...s, contentFrame: options.contentFrame }) : undefined)));
  } catch (err) {
    await closeAll();
    throw err;
  }
  const first = nets[0];
  const pictures = nets.find((net, i) => vectors[i]) as PictureNetwork | undefined;
  const scheduled: ScheduledNetworks = {
    run: (style, frames) => (vectors[style] ? pictures!.stylizeWith(vectors[style], frames) : nets[style].stylize(frames)),
    vector: (style) => vectors[style],
    runVector: (vector, frames) => pictures!.stylizeWith(vector, frames),
  };
  return {
    backend: first.backend, precision: first.precision, model: first.model, batchSize: first.batchSize,
    concurrency: Math.max(...nets.map((net) => net.concurrency)),
    stylize: (frames) => stylizeScheduled(schedule, scheduled, frames),
    close: closeAll,
  };
}

/** A network that also runs with any style vector (Magenta's transformer). */
type PictureNetwork = Stylizer & { stylizeWith(vector: Float32Array, frames: RgbFrame[]): Promise<RgbFrame[]> };

async function createNetwork(options: StylizerOptions): Promise<Stylizer> {
  if (isStyleImage(options.style) && !options.modelDir) return createPictureStylizer(options);
  const concurrency = parseConcurrency(options.concurrency);
  const model = await resolveModel(options.style, { modelDir: options.modelDir, onDownload: options.onDownload });
  const weights = await loadModelWeights(model.dir, options.modelDir ? undefined : options.style);
  const backend = await initBackend(options.backend ?? 'auto');
  const batchSize = options.batch ?? defaultBatchSize(backend);
  const precision = options.precision ?? FP32;
  // int8 was chosen for these weights' calibration; it is read again against the weights loaded now.
  const calibration = precision.name === 'int8' ? await storedCalibration(weights, { style: options.style, modelDir: options.modelDir }) : undefined;
  if (precision.name === 'int8') choosePrecision('int8', backend, calibration);
  const int8 = calibration && int8Settings(calibration);
  return runNetwork({ backend, precision, model, batchSize }, concurrency, options.frameSize, {
    onnx: async () => ({ source: weights, int8 }),
    tfjs: async () => ({ source: weights, single: () => new TransformerNet(weights) }),
  });
}

/** The style vector a render with a picture style uses: the picture's, mixed with the content's own by the strength. */
export async function pictureStyleVector(options: Pick<StylizerOptions, 'style' | 'styleStrength' | 'contentFrame'>): Promise<Float32Array> {
  const image = await readStyleImage(options.style);
  const vector = await styleVector(await decodeStyleImage(image.bytes, options.style));
  const strength = options.styleStrength ?? 1;
  if (strength >= 1) return vector;
  if (!options.contentFrame) throw new Error('a style strength below 1 needs the content frame');
  return blendVectors(await styleVector(await options.contentFrame()), vector, strength);
}

/**
 * A picture as the style: Magenta's transformer, converted to ONNX, on ONNX Runtime: auto takes its
 * WebGPU engine on a real GPU, else its CPU engine (the fastest on a CPU); on a TF.js backend asked
 * for by name, the TF Lite graph run with TF.js ops.
 */
async function createPictureStylizer(options: StylizerOptions): Promise<PictureNetwork> {
  const requested = options.backend ?? 'auto';
  const concurrency = parseConcurrency(options.concurrency);
  let backend: BackendInfo;
  try {
    backend = await initBackend(requested, ['gpu', 'onnx']);
  } catch (err) {
    if (requested !== 'auto') throw err;
    backend = await initBackend('auto');
  }
  backend = { ...backend, requested };
  const precision = options.precision ?? FP32;
  const vector = await pictureStyleVector(options);
  const { source } = await magentaFile(TRANSFORMER);
  const model = { style: ARBITRARY.name, dir: join(modelCacheDir(), 'magenta'), source } as const;
  const batchSize = options.batch ?? defaultBatchSize(backend);
  return runNetwork({ backend, precision, model, batchSize }, concurrency, options.frameSize, {
    onnx: async () => ({ source: { model: await magentaOnnx(TRANSFORMER), feeds: { style_vector: { data: vector, dims: [1, 1, 1, VECTOR_LENGTH] } } } }),
    tfjs: async () => {
      const tflite = new Uint8Array((await magentaFile(TRANSFORMER)).bytes);
      return { source: { tflite, vector }, single: () => new TfliteStyleNet(new TfliteGraph(readTflite(tflite, TRANSFORMER)), vector) };
    },
  });
}

/** A network as each engine takes it: built only for the engine that runs. */
interface NetworkSources {
  onnx: () => Promise<{ source: ModelWeights | OnnxGraph; int8?: Int8Settings }>;
  tfjs: () => Promise<{ source: ModelWeights | TfliteStyle; single: () => { stylize(frames: RgbFrame[], vector?: Float32Array): RgbFrame[]; dispose(): void } }>;
}

/**
 * The network run four ways: on ONNX Runtime's WebGPU engine, one session in a process of its own,
 * batches retried smaller when the GPU runs out of memory; on its CPU engine, sessions in processes of their own (sized by
 * onnxSessions); on native TF.js (or one thread), one net in this process, as native TensorFlow
 * spreads an inference over the cores (or the GPU) by itself; otherwise, TF.js in worker threads.
 */
async function runNetwork(base: Omit<Stylizer, 'concurrency' | 'stylize' | 'close'>, concurrency: number, frameSize: StylizerOptions['frameSize'], sources: NetworkSources): Promise<PictureNetwork> {
  const { backend } = base;
  if (backend.name === 'gpu') {
    // One session holds the GPU; its CPU side (feeding, the odd CPU operator) needs one thread.
    const { source } = await sources.onnx();
    const pool = await WorkerPool.start(1, 'gpu', source, { threads: 1, processes: true });
    const limit = { batch: base.batchSize };
    const stylizeWith = (vector: Float32Array | undefined, frames: RgbFrame[]) => withGpuRetries(frames, (f) => pool.stylize(f, vector), limit);
    return { ...base, concurrency: 1, stylize: (frames) => stylizeWith(undefined, frames), stylizeWith, close: () => pool.close() };
  }
  if (backend.name === 'onnx') {
    const { source, int8 } = await sources.onnx();
    const sessions = onnxSessions(concurrency, frameSize);
    const pool = await WorkerPool.start(sessions, backend.name, source, { threads: Math.max(1, Math.floor(concurrency / sessions)), processes: true, int8 });
    return { ...base, concurrency: pool.size, stylize: (frames) => pool.stylize(frames), stylizeWith: (vector, frames) => pool.stylize(frames, vector), close: () => pool.close() };
  }
  const { source, single } = await sources.tfjs();
  if (backend.native || concurrency === 1) {
    const net = single();
    return { ...base, concurrency: 1, stylize: async (frames) => net.stylize(frames), stylizeWith: async (vector, frames) => net.stylize(frames, vector), close: async () => net.dispose() };
  }
  const pool = await WorkerPool.start(concurrency, backend.name, source);
  return { ...base, concurrency: pool.size, stylize: (frames) => pool.stylize(frames), stylizeWith: (vector, frames) => pool.stylize(frames, vector), close: () => pool.close() };
}
