// The stylize stage as the pipeline sees it: frames in, stylized frames out. Calls may overlap;
// each resolves with its own batch.
import { availableParallelism } from 'node:os';
import { invalidOption } from '../options/option-error.js';
import type { RgbFrame } from '../frame.js';
import { defaultBatchSize, initBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { choosePrecision, int8Settings, storedCalibration, type PrecisionChoice, type PrecisionInfo } from './int8.js';
import { loadModelWeights } from './model-files.js';
import { resolveModel, type DownloadProgress, type ResolvedModel } from './model-store.js';
import { TransformerNet } from './transformer-net.js';
import { WorkerPool } from './worker-pool.js';

export interface StylizerOptions {
  style: string;
  /** a model folder to use instead of the catalogue's */
  modelDir?: string;
  backend?: BackendChoice;
  /** fp32, int8 (ONNX Runtime, a calibrated model) or auto; or a choice already made (a render's job makes it once) */
  precision?: PrecisionChoice | PrecisionInfo;
  /** frames per inference call; the backend's own default when unset */
  batch?: number;
  /** inference threads for wasm/cpu/onnx: a count, or a percentage of the cores ('50%'); default all cores */
  concurrency?: number | string;
  /** the frame size to come, when known: large frames get fewer, wider ONNX Runtime sessions */
  frameSize?: { width: number; height: number };
  onDownload?: (progress: DownloadProgress) => void;
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
/** What the sessions together may hold. */
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

export async function createStylizer(options: StylizerOptions): Promise<Stylizer> {
  const concurrency = parseConcurrency(options.concurrency);
  const model = await resolveModel(options.style, { modelDir: options.modelDir, onDownload: options.onDownload });
  const weights = await loadModelWeights(model.dir, options.modelDir ? undefined : options.style);
  const backend = await initBackend(options.backend ?? 'auto');
  const batchSize = options.batch ?? defaultBatchSize(backend);
  const asked = options.precision ?? 'auto';
  const calibration = asked === 'fp32' ? undefined : await storedCalibration(weights, { style: options.style, modelDir: options.modelDir });
  const precision = typeof asked === 'object' ? choosePrecision(asked.name, backend, calibration) && asked : choosePrecision(asked, backend, calibration);
  if (backend.name === 'onnx') {
    const sessions = onnxSessions(concurrency, options.frameSize);
    const int8 = precision.name === 'int8' ? int8Settings(calibration!) : undefined;
    const pool = await WorkerPool.start(sessions, backend.name, weights, { threads: Math.max(1, Math.floor(concurrency / sessions)), processes: true, int8 });
    return {
      backend, precision, model, batchSize, concurrency: pool.size,
      stylize: (frames) => pool.stylize(frames),
      close: () => pool.close(),
    };
  }
  if (backend.native || concurrency === 1) {
    // Native TensorFlow spreads one inference over every core (or runs it on the GPU) by itself.
    const net = new TransformerNet(weights);
    return {
      backend, precision, model, batchSize, concurrency: 1,
      stylize: async (frames) => net.stylize(frames),
      close: async () => net.dispose(),
    };
  }
  const pool = await WorkerPool.start(concurrency, backend.name, weights);
  return {
    backend, precision, model, batchSize, concurrency: pool.size,
    stylize: (frames) => pool.stylize(frames),
    close: () => pool.close(),
  };
}
