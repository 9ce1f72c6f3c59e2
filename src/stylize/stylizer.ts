// The stylize stage as the pipeline sees it: frames in, stylized frames out, in order.
import type { RgbFrame } from '../frame.js';
import { defaultBatchSize, initBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { loadModelWeights } from './model-files.js';
import { resolveModel, type DownloadProgress, type ResolvedModel } from './model-store.js';
import { TransformerNet } from './transformer-net.js';

export interface StylizerOptions {
  style: string;
  /** a model folder to use instead of the catalogue's */
  modelDir?: string;
  backend?: BackendChoice;
  /** frames per inference call; the backend's own default when unset */
  batch?: number;
  onDownload?: (progress: DownloadProgress) => void;
}

export interface Stylizer {
  readonly backend: BackendInfo;
  readonly model: ResolvedModel;
  readonly batchSize: number;
  stylize(frames: RgbFrame[]): Promise<RgbFrame[]>;
  close(): Promise<void>;
}

export async function createStylizer(options: StylizerOptions): Promise<Stylizer> {
  const model = await resolveModel(options.style, { modelDir: options.modelDir, onDownload: options.onDownload });
  const weights = await loadModelWeights(model.dir, options.modelDir ? undefined : options.style);
  const backend = await initBackend(options.backend ?? 'auto');
  const net = new TransformerNet(weights);
  return {
    backend,
    model,
    batchSize: options.batch ?? defaultBatchSize(backend),
    async stylize(frames) {
      return net.stylize(frames);
    },
    async close() {
      net.dispose();
    },
  };
}
