// What runs the network: the fastest engine that loads on this machine. TF.js backends, and
// ONNX Runtime's CPU engine, which on a CPU is several times faster than TF.js's wasm.
import * as tf from '@tensorflow/tfjs-core';
import { UsageError, UserError } from '../errors.js';
import { loadOnnxRuntime } from './onnx-net.js';

export const BACKEND_CHOICES = ['auto', 'gpu', 'node', 'onnx', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** what was asked for */
  requested: BackendChoice;
  /** what runs: 'gpu' (tfjs-node-gpu, CUDA), 'node' (tfjs-node, libtensorflow on the CPU), 'onnx' (onnxruntime-node, CPU), 'wasm' or 'cpu' */
  name: Exclude<BackendChoice, 'auto'>;
  /** TF.js's own name for it ('onnxruntime' for ONNX Runtime, which is not TF.js) */
  tfBackend: string;
  /** whether the backend parallelises a single inference itself (so one worker is enough) */
  native: boolean;
  /** the backends tried before this one, and why each was passed over */
  skipped: string[];
}

// Specifiers held in variables: these packages are optional and may be absent at compile time.
const NATIVE_PACKAGES = { gpu: '@tensorflow/tfjs-node-gpu', node: '@tensorflow/tfjs-node' } as const;

async function loadNative(kind: 'gpu' | 'node'): Promise<void> {
  const pkg: string = NATIVE_PACKAGES[kind];
  await import(pkg);
  if (!tf.findBackend('tensorflow')) {
    throw new Error(`${pkg} loaded against another copy of @tensorflow/tfjs-core; reinstall so both use ${tf.version_core}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} did not initialise`);
}

async function loadWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
}

async function loadCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
}

async function loadOnnx(): Promise<void> {
  await loadOnnxRuntime();
}

const LOADERS: Record<BackendInfo['name'], () => Promise<void>> = {
  gpu: () => loadNative('gpu'),
  node: () => loadNative('node'),
  onnx: loadOnnx,
  wasm: loadWasm,
  cpu: loadCpu,
};

let active: BackendInfo | undefined;

/**
 * auto: tfjs-node-gpu (CUDA) → tfjs-node → onnxruntime-node → wasm → cpu. A named backend that does not load is an
 * error rather than a silent fallback, so a farm never runs ten times slower than it asked for.
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(requested)) {
    throw new UsageError(`unknown backend '${requested}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (active && (requested === 'auto' || requested === active.name)) return active;
  const order: Array<BackendInfo['name']> = requested === 'auto' ? ['gpu', 'node', 'onnx', 'wasm', 'cpu'] : [requested];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      await LOADERS[name]();
      if (name !== 'onnx') tf.enableProdMode();
      active = { requested, name, tfBackend: name === 'onnx' ? 'onnxruntime' : tf.getBackend(), native: name === 'gpu' || name === 'node', skipped };
      return active;
    } catch (err) {
      const reason = String((err as Error).message ?? err).split('\n')[0];
      skipped.push(`${name}: ${/Cannot find (package|module)/.test(reason) ? 'not installed' : reason}`);
    }
  }
  const hint = requested === 'gpu' || requested === 'node'
    ? `install ${NATIVE_PACKAGES[requested]} (it downloads libtensorflow), or use --backend auto`
    : requested === 'onnx'
      ? 'install onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=skip npm install where its CUDA download is out of reach), or use --backend auto'
      : 'reinstall the dependencies (npm install)';
  throw new UserError(`backend '${requested}' is not available (${skipped.join('; ')}): ${hint}`);
}

/** Frames per inference call that suit the backend: native ones gain from batching, wasm and cpu do not. */
export function defaultBatchSize(backend: BackendInfo): number {
  return backend.native ? 4 : 1;
}
