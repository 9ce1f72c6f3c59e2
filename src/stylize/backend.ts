// What runs the network: the fastest engine that loads on this machine. ONNX Runtime's WebGPU
// engine on a real GPU; TF.js backends; and ONNX Runtime's CPU engine, which on a CPU is several
// times faster than TF.js's wasm.
import * as tf from '@tensorflow/tfjs-core';
import { UsageError, UserError } from '../errors.js';
import { loadOnnxRuntime } from './onnx-net.js';
import { probeWebGpu } from './webgpu-adapter.js';

export const BACKEND_CHOICES = ['auto', 'gpu', 'tfjs-gpu', 'node', 'onnx', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** what was asked for */
  requested: BackendChoice;
  /**
   * what runs: 'gpu' (onnxruntime-node's WebGPU engine: Vulkan, Metal or D3D12), 'tfjs-gpu'
   * (tfjs-node-gpu, CUDA), 'node' (tfjs-node, libtensorflow on the CPU), 'onnx' (onnxruntime-node,
   * CPU), 'wasm' or 'cpu'
   */
  name: Exclude<BackendChoice, 'auto'>;
  /** TF.js's own name for it ('onnxruntime' for ONNX Runtime, which is not TF.js) */
  tfBackend: string;
  /** gpu: the adapter the WebGPU engine runs on, as its driver names it */
  adapter?: string;
  /** whether the backend parallelises a single inference itself (so one worker is enough) */
  native: boolean;
  /** the backends tried before this one, and why each was passed over */
  skipped: string[];
}

// Specifiers held in variables: these packages are optional and may be absent at compile time.
const NATIVE_PACKAGES = { 'tfjs-gpu': '@tensorflow/tfjs-node-gpu', node: '@tensorflow/tfjs-node' } as const;

async function loadNative(kind: 'tfjs-gpu' | 'node'): Promise<void> {
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

/** Why WebGPU is not there, when it is for want of any driver or adapter: auto passes over that without a word, as before. */
const NO_WEBGPU = /No supported adapters|Failed to get a WebGPU adapter|Found no drivers|Cannot find (package|module)/;

/** Thrown by auto's WebGPU step when the adapter is a CPU renderer: passed over, and said why. */
class SoftwareAdapter extends Error {}

/** The WebGPU engine's adapter; with `realOnly` (auto), a software renderer is passed over. */
async function loadWebGpu(realOnly: boolean): Promise<string> {
  await loadOnnxRuntime();
  const adapter = await probeWebGpu();
  if (realOnly && adapter.software) {
    throw new SoftwareAdapter(`the WebGPU adapter is ${adapter.name}, a software renderer on the CPU, slower than the onnx engine (--backend gpu uses it anyway)`);
  }
  return adapter.name;
}

const LOADERS: Record<Exclude<BackendInfo['name'], 'gpu'>, () => Promise<void>> = {
  'tfjs-gpu': () => loadNative('tfjs-gpu'),
  node: () => loadNative('node'),
  onnx: loadOnnx,
  wasm: loadWasm,
  cpu: loadCpu,
};

let active: BackendInfo | undefined;

/** auto's order: a real GPU on WebGPU, then CUDA, then the CPU engines from fastest. */
export const AUTO_ORDER: ReadonlyArray<BackendInfo['name']> = ['gpu', 'tfjs-gpu', 'node', 'onnx', 'wasm', 'cpu'];

/**
 * auto: WebGPU on a real GPU → tfjs-node-gpu (CUDA) → tfjs-node → onnxruntime-node → wasm → cpu;
 * `order` replaces that list (a picture style runs on ONNX Runtime only). A named backend that does
 * not load is an error rather than a silent fallback, so a farm never runs ten times slower than it
 * asked for.
 */
export async function initBackend(requested: BackendChoice = 'auto', order: ReadonlyArray<BackendInfo['name']> = AUTO_ORDER): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(requested)) {
    throw new UsageError(`unknown backend '${requested}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (active && (requested === 'auto' ? order.includes(active.name) : requested === active.name)) return active;
  const skipped: string[] = [];
  for (const name of requested === 'auto' ? order : [requested]) {
    try {
      if (name === 'gpu') {
        const adapter = await loadWebGpu(requested === 'auto');
        active = { requested, name, tfBackend: 'onnxruntime-webgpu', adapter, native: true, skipped };
        return active;
      }
      await LOADERS[name]();
      if (name !== 'onnx') tf.enableProdMode();
      active = { requested, name, tfBackend: name === 'onnx' ? 'onnxruntime' : tf.getBackend(), native: name === 'tfjs-gpu' || name === 'node', skipped };
      return active;
    } catch (err) {
      const reason = String((err as Error).message ?? err).split('\n')[0];
      if (name === 'gpu' && requested === 'auto' && !(err instanceof SoftwareAdapter) && NO_WEBGPU.test(reason)) continue;
      skipped.push(`${name}: ${/Cannot find (package|module)/.test(reason) ? 'not installed' : reason}`);
    }
  }
  if (requested === 'gpu') {
    // Nothing to run on is the machine's set-up, not a failed render: usage (2), with what to install.
    const why = skipped.join('; ').replace(/^gpu: /, '');
    if (why === 'not installed') throw new UsageError(`backend 'gpu' needs onnxruntime-node, which is not installed: npm install onnxruntime-node, or use --backend auto`);
    throw new UsageError(`backend 'gpu' found no WebGPU adapter (${why}): install your GPU's Vulkan driver (Debian/Ubuntu: mesa-vulkan-drivers, or NVIDIA's driver with libvulkan1), or use --backend auto`);
  }
  const hint = requested === 'tfjs-gpu' || requested === 'node'
    ? `install ${NATIVE_PACKAGES[requested]} (it downloads libtensorflow), or use --backend auto`
    : requested === 'onnx'
      ? 'install onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=skip npm install where its CUDA download is out of reach), or use --backend auto'
      : 'reinstall the dependencies (npm install)';
  throw new UserError(`backend '${requested}' is not available (${skipped.join('; ')}): ${hint}`);
}

/** Frames per inference call that suit the backend: native ones and the GPU gain from batching, wasm and cpu do not. */
export function defaultBatchSize(backend: BackendInfo): number {
  return backend.native ? 4 : 1;
}
