// The temporal stage's WebAssembly kernels (*.as.ts, compiled into kernels.wasm.ts by
// scripts/build-kernels.js): one instance a thread, made the first time a kernel is asked for, its
// memory laid out afresh by each call (the frames are copied in and the result out). Each does what
// the JavaScript it replaced did, to the bit, in less time (docs/speed-and-memory.md, The stage's
// WebAssembly kernels).
import type { Flow } from '../image.js';
import { KERNELS_WASM } from './kernels.wasm.js';

/** The part of the WebAssembly API used here (lib.dom declares it, which this project does not load). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  scratchBytes(width: number, height: number): number;
  warpBicubic(image: number, flow: number, flowWidth: number, flowHeight: number, width: number, height: number, out: number, scratch: number): void;
  meanSimilarity(out: number, own: number, ownSums: number, ownSquareSums: number, width: number, height: number, r: number, shift: number, c1: number, c2: number, columns: number): number;
}

let kernels: KernelExports | undefined;

function instance(): KernelExports {
  // A module of a few KB compiles synchronously in well under a millisecond.
  kernels ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'))).exports as unknown as KernelExports;
  return kernels;
}

const PAGE = 65536;
const aligned = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** The kernels' memory, grown to hold `bytes` from address 0 (WebAssembly memory only grows: it stays at a run's largest frame). */
function memoryFor(exports: KernelExports, bytes: number): ArrayBuffer {
  const short = bytes - exports.memory.buffer.byteLength;
  if (short > 0) exports.memory.grow(Math.ceil(short / PAGE));
  return exports.memory.buffer;
}

/**
 * image(p + flow(p)) for every pixel p of a width x height RGB frame, bicubic, the flow resized to
 * the frame's size on the way (warp.ts, warpRgb): in about two thirds of the JavaScript's time.
 */
export function warpBicubic(image: Uint8Array | Float32Array, flow: Flow, width: number, height: number, into?: Float32Array): Float32Array {
  const exports = instance();
  const values = width * height * 3, flowValues = flow.width * flow.height * 2;
  const imageAt = 0, flowAt = aligned(4 * values), outAt = aligned(flowAt + 4 * flowValues), scratchAt = aligned(outAt + 4 * values);
  const memory = memoryFor(exports, scratchAt + exports.scratchBytes(width, height));
  new Float32Array(memory, imageAt, values).set(image); // bytes to floats, exactly
  new Float32Array(memory, flowAt, flowValues).set(flow.data.subarray(0, flowValues));
  exports.warpBicubic(imageAt, flowAt, flow.width, flow.height, width, height, outAt, scratchAt);
  const out = into?.length === values ? into : new Float32Array(values);
  out.set(new Float32Array(memory, outAt, values));
  return out;
}

/**
 * Mean SSIM of `out` − `shift` to `own` (single-channel, width x height) over (2r + 1)² windows,
 * edges replicated, from `own`'s window sums and sums of squares (blend-weights.ts, meanSimilarity):
 * in about two fifths of the JavaScript's time. c1, c2: SSIM's constants.
 */
export function meanSimilarity(out: Float32Array, own: Float32Array, ownSums: Float32Array, ownSquareSums: Float32Array, width: number, height: number, r: number, shift: number, c1: number, c2: number): number {
  const exports = instance();
  const n = width * height, bytes = aligned(4 * n);
  const memory = memoryFor(exports, 4 * bytes + 3 * 8 * (width + 2 * r));
  const at = [0, bytes, 2 * bytes, 3 * bytes];
  [out, own, ownSums, ownSquareSums].forEach((plane, k) => new Float32Array(memory, at[k], n).set(plane.subarray(0, n)));
  return exports.meanSimilarity(at[0], at[1], at[2], at[3], width, height, r, shift, c1, c2, 4 * bytes);
}
