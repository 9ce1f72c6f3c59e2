// The official TF Lite runtime (@tensorflow/tfjs-tflite, TF Lite compiled to wasm) as the
// reference the converted networks are checked against. It is written for browsers and workers; in
// Node it needs: importScripts (it loads its emscripten module that way when there is no window),
// a location, and fetch for file URLs. The threaded build needs Worker: the shim swaps in the
// single-threaded build of the same runtime.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const require = createRequire(import.meta.url);

interface TfliteRuntime {
  setWasmPath(path: string): void;
  loadTFLiteModel(model: ArrayBuffer, options?: { numThreads?: number }): Promise<{ predict(inputs: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>): tf.Tensor | tf.Tensor[] }>;
}

let runtime: TfliteRuntime | undefined;

function load(): TfliteRuntime {
  if (runtime) return runtime;
  const g = globalThis as Record<string, unknown>;
  const readUrl = (url: string) => readFileSync(url.startsWith('file:') ? new URL(url) : url);
  g.importScripts ??= (url: string) => {
    const single = url.replace('_threaded.js', '.js');
    vm.runInThisContext(readUrl(single).toString('utf8'), { filename: single });
  };
  g.self ??= globalThis;
  g.location ??= { origin: 'file://', href: 'file:///' };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    if (url.startsWith('file:') || url.startsWith('/')) return new Response(readUrl(url), { headers: { 'content-type': 'application/wasm' } });
    return realFetch(input, init);
  }) as typeof fetch;
  const tflite = require('@tensorflow/tfjs-tflite') as TfliteRuntime;
  tflite.setWasmPath(join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm') + '/');
  runtime = tflite;
  return tflite;
}

/** Runs a .tflite file (a path, or its bytes) on NHWC float inputs; returns its first output's values. */
export async function tfliteRun(file: string | Uint8Array, inputs: Array<{ data: Float32Array; shape: number[] }>): Promise<Float32Array> {
  const tflite = load();
  // Whatever TF.js backend the test made active (cpu where none was): only tensors pass through it.
  await tf.ready();
  const bytes = typeof file === 'string' ? readFileSync(file) : file;
  const model = await tflite.loadTFLiteModel(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, { numThreads: 1 });
  const tensors = inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
  const result = model.predict(tensors.length === 1 ? tensors[0] : tensors);
  const output = Array.isArray(result) ? result[0] : result;
  const data = Float32Array.from((await output.data()) as Float32Array);
  tf.dispose([...tensors, result as tf.Tensor]);
  return data;
}

/**
 * The .tflite file with its first subgraph's first output replaced by another tensor (an
 * intermediate activation, say): TF Lite then hands that tensor's values out, its int8 ones as numbers.
 */
export function withOutput(file: string, tensor: number): Uint8Array {
  const bytes = new Uint8Array(readFileSync(file));
  const view = new DataView(bytes.buffer);
  const deref = (at: number) => at + view.getUint32(at, true);
  const field = (table: number, id: number) => table + view.getUint16(table - view.getInt32(table, true) + 4 + 2 * id, true);
  const model = deref(0);
  const subgraph = deref(deref(field(model, 2)) + 4);
  const outputs = deref(field(subgraph, 2));
  view.setInt32(outputs + 4, tensor, true);
  return bytes;
}
