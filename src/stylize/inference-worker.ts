// One inference thread: its own TF.js backend and copy of the network. The wasm backend is
// single-threaded in Node, so a pool of these is how stylization uses every core.
import { parentPort, workerData } from 'node:worker_threads';
import type { RgbFrame } from '../frame.js';
import { initBackend, type BackendChoice } from './backend.js';
import type { ModelWeights } from './model-files.js';
import { TransformerNet } from './transformer-net.js';

export interface WorkerSetup {
  backend: BackendChoice;
  weights: ModelWeights;
}
export type WorkerRequest = { id: number; frames: RgbFrame[] };
export type WorkerReply = { id: number; frames?: RgbFrame[]; error?: string } | { ready: true; backend: string } | { fatal: string };

const port = parentPort!;
const setup = workerData as WorkerSetup;

try {
  const backend = await initBackend(setup.backend);
  const net = new TransformerNet(setup.weights);
  port.on('message', (request: WorkerRequest) => {
    try {
      const frames = net.stylize(request.frames);
      port.postMessage({ id: request.id, frames } satisfies WorkerReply, frames.map((f) => f.data.buffer as ArrayBuffer));
    } catch (err) {
      port.postMessage({ id: request.id, error: String((err as Error).message ?? err) } satisfies WorkerReply);
    }
  });
  port.postMessage({ ready: true, backend: backend.name } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ fatal: String((err as Error).message ?? err) } satisfies WorkerReply);
}
