// One inference worker: its own engine and copy of the network. The wasm backend is
// single-threaded in Node, so a pool of these threads is how stylization uses every core; ONNX
// Runtime has threads of its own but runs on the thread that calls it, so it gets a worker too,
// as a child process (see WorkerPool).
import { parentPort, workerData } from 'node:worker_threads';
import { once } from 'node:events';
import type { RgbFrame } from '../frame.js';
import { initBackend, type BackendChoice } from './backend.js';
import type { ModelWeights } from './model-files.js';
import type { Int8Settings } from './onnx-model.js';
import { OnnxNet, WEBGPU_SESSION, type OnnxGraph } from './onnx-net.js';
import { TransformerNet } from './transformer-net.js';
import { readTflite } from './tflite.js';
import { TfliteGraph, TfliteStyleNet } from './tflite-tf.js';

export interface WorkerSetup {
  backend: BackendChoice;
  /** TransformerNet weights; for a picture style, the converted ONNX graph (onnx) or the TF Lite file (TF.js backends) */
  weights: ModelWeights | OnnxGraph | TfliteStyle;
  /** ONNX Runtime's intra-op threads in this worker */
  threads: number;
  /** ONNX Runtime only: run the int8 graph with these ranges */
  int8?: Int8Settings;
}
/** Magenta's transformer as its TF Lite file, with the render's style vector. */
export interface TfliteStyle {
  tflite: Uint8Array;
  vector: Float32Array;
}
/** `vector`: a picture style's vector for this batch instead of the one the worker was set up with. */
export type WorkerRequest = { id: number; frames: RgbFrame[]; vector?: Float32Array };
export type WorkerReply = { id: number; frames?: RgbFrame[]; error?: string } | { ready: true; backend: string } | { fatal: string };

// A worker thread talks over parentPort; a child process (see WorkerPool) over its IPC channel,
// where the setup arrives as the first message, and the parent going away ends it.
const port = parentPort ?? {
  postMessage: (message: unknown) => void process.send!(message),
  on: (event: 'message', listener: (request: WorkerRequest) => void) => void process.on(event, listener),
};
if (!parentPort) {
  // The parent gone (killed, even with SIGKILL) means the work is no longer wanted: end quietly.
  process.once('disconnect', () => process.exit(0));
  process.on('error', () => process.exit(0));
}
const setup = (parentPort ? workerData : (await once(process, 'message'))[0]) as WorkerSetup;

try {
  // The parent probed the GPU already: here only ONNX Runtime is loaded, and the session asks for WebGPU.
  const gpu = setup.backend === 'gpu';
  const backend = await initBackend(gpu ? 'onnx' : setup.backend);
  const { weights } = setup;
  const net =
    'tflite' in weights
      ? new TfliteStyleNet(new TfliteGraph(readTflite(weights.tflite)), weights.vector)
      : backend.name === 'onnx'
        ? await OnnxNet.create(weights, setup.threads, setup.int8, gpu ? WEBGPU_SESSION : {})
        : new TransformerNet(weights as ModelWeights);
  port.on('message', async (request: WorkerRequest) => {
    try {
      const { vector } = request;
      const frames = await (net instanceof OnnxNet ? net.stylize(request.frames, vector && { style_vector: { data: vector, dims: [1, 1, 1, vector.length] } }) : net.stylize(request.frames, vector));
      if (parentPort) parentPort.postMessage({ id: request.id, frames } satisfies WorkerReply, frames.map((f) => f.data.buffer as ArrayBuffer));
      else port.postMessage({ id: request.id, frames } satisfies WorkerReply);
    } catch (err) {
      port.postMessage({ id: request.id, error: String((err as Error).message ?? err) } satisfies WorkerReply);
    }
  });
  port.postMessage({ ready: true, backend: gpu ? 'gpu' : backend.name } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ fatal: String((err as Error).message ?? err) } satisfies WorkerReply);
}
