// The temporal stage's WebAssembly kernels (*.as.ts, compiled into kernels.wasm.ts by
// scripts/build-kernels.js): one instance a thread, made the first time a kernel is asked for, its
// memory laid out afresh by each call (the frames are copied in and the result out). Each does what
// the JavaScript it replaced did, to the bit, in less time (docs/speed-and-memory.md, The temporal
// stage's WebAssembly kernels).
import type { Flow } from '../image.js';
import { KERNELS_WASM } from './kernels.wasm.js';

/** The part of the WebAssembly API used here (lib.dom declares it, which this project does not load). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  warpBicubic(image: number, flow: number, flowWidth: number, flowHeight: number, scaleX: number, scaleY: number, width: number, height: number, out: number, scratch: number): void;
  meanSimilarity(out: number, own: number, ownSums: number, ownSumsOfSquares: number, width: number, height: number, r: number, shift: number, c1: number, c2: number, columns: number): number;
  boxSum(src: number, width: number, height: number, r: number, out: number, channels: number, columns: number): void;
  boxSumAndSquares(src: number, width: number, height: number, r: number, sums: number, sumsOfSquares: number, columns: number): void;
}

let kernels: KernelExports | undefined;

function instance(): KernelExports {
  // A module of a few KB compiles synchronously in well under a millisecond.
  kernels ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'))).exports as unknown as KernelExports;
  return kernels;
}

const PAGE = 65536;
const aligned = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * The first `length` values of an array, after checking it has that many: a short input would
 * leave the kernel reading what the last call left in its memory, a short output would fail only
 * after the kernel ran.
 */
function requireValues<T extends Float32Array | Uint8Array | Int32Array>(values: T, length: number, what: string): T {
  if (values.length < length) throw new RangeError(`${what} has ${values.length} values where ${length} are needed`);
  return values.subarray(0, length) as T;
}

/** The kernels' memory, grown to hold `bytes` from address 0 (WebAssembly memory only grows: it stays at a run's largest frame). */
function memoryFor(wasm: KernelExports, bytes: number): ArrayBuffer {
  const short = bytes - wasm.memory.buffer.byteLength;
  if (short > 0) wasm.memory.grow(Math.ceil(short / PAGE));
  return wasm.memory.buffer;
}

/** Where each output coordinate of an axis samples the flow's grid (image.ts, resizeTaps). */
export interface AxisTaps {
  low: Int32Array;
  high: Int32Array;
  weight: Float32Array;
}

/** How the flow is resized to the frame (warp.ts, flowResize): the taps along each axis, and the factors its vectors scale by. */
export interface FlowResize {
  across: AxisTaps;
  down: AxisTaps;
  scaleX: number;
  scaleY: number;
}

/**
 * image(p + flow(p)) for every pixel p of a width x height RGB frame, bicubic, the flow resized to
 * the frame's size on the way as `resize` says (warp.ts, warpRgb): in about two thirds of the
 * JavaScript's time.
 */
export function warpBicubic(image: Uint8Array | Float32Array, flow: Flow, resize: FlowResize, width: number, height: number, into?: Float32Array): Float32Array {
  const { across, down } = resize;
  const wasm = instance();
  const values = width * height * 3, flowValues = flow.width * flow.height * 2;
  const imageAt = 0, flowAt = aligned(4 * values), outAt = aligned(flowAt + 4 * flowValues), scratchAt = aligned(outAt + 4 * values);
  // the taps (12 bytes a column and a row), then the row of resized vectors (16 bytes a column), aligned
  const memory = memoryFor(wasm, scratchAt + aligned(12 * (width + height)) + 16 * width);
  new Float32Array(memory, imageAt, values).set(requireValues(image, values, 'the image')); // bytes to floats, exactly
  new Float32Array(memory, flowAt, flowValues).set(requireValues(flow.data, flowValues, 'the flow'));
  let at = scratchAt;
  for (const [taps, length] of [[across, width], [down, height]] as const) {
    new Int32Array(memory, at, length).set(requireValues(taps.low, length, 'the taps'));
    new Int32Array(memory, at + 4 * length, length).set(requireValues(taps.high, length, 'the taps'));
    new Float32Array(memory, at + 8 * length, length).set(requireValues(taps.weight, length, 'the taps'));
    at += 12 * length;
  }
  wasm.warpBicubic(imageAt, flowAt, flow.width, flow.height, resize.scaleX, resize.scaleY, width, height, outAt, scratchAt);
  const out = into?.length === values ? into : new Float32Array(values);
  out.set(new Float32Array(memory, outAt, values));
  return out;
}

/**
 * Mean SSIM of `out` − `shift` to `own` (single-channel, width x height) over (2r + 1)² windows,
 * edges replicated, from `own`'s window sums and sums of squares (blend-weights.ts, meanSimilarity):
 * in about two fifths of the JavaScript's time. c1, c2: SSIM's constants.
 */
export function meanSimilarity(out: Float32Array, own: Float32Array, ownSums: Float32Array, ownSumsOfSquares: Float32Array, width: number, height: number, r: number, shift: number, c1: number, c2: number): number {
  const wasm = instance();
  const n = width * height, bytes = aligned(4 * n);
  const memory = memoryFor(wasm, 4 * bytes + 3 * 8 * (width + 2 * r));
  const at = [0, bytes, 2 * bytes, 3 * bytes];
  [out, own, ownSums, ownSumsOfSquares].forEach((plane, k) => new Float32Array(memory, at[k], n).set(requireValues(plane, n, 'a luma plane')));
  return wasm.meanSimilarity(at[0], at[1], at[2], at[3], width, height, r, shift, c1, c2, 4 * bytes);
}

/**
 * Sum over a (2r+1)² window, edges replicated, in one sweep down the rows: each column's sum over
 * the window's rows is carried from row to row (a row entering, one leaving), and a running sum
 * along those column sums gives the row's windows. With `channels` > 1, of each channel of an
 * interleaved image.
 */
export function boxSum(src: Float32Array, width: number, height: number, r: number, out: Float32Array, channels = 1): void {
  const values = width * height * channels;
  const into = requireValues(out, values, 'the output');
  if (values === 0) return;
  const wasm = instance();
  const bytes = aligned(4 * values);
  const memory = memoryFor(wasm, 2 * bytes + 8 * channels * (width + 2 * r));
  new Float32Array(memory, 0, values).set(requireValues(src, values, 'the image'));
  wasm.boxSum(0, width, height, r, bytes, channels, 2 * bytes);
  into.set(new Float32Array(memory, bytes, values));
}

/**
 * boxSum of a single-channel image and of its squares (each rounded to float32, as an array of
 * squares would hold it: the same sums as two boxSum calls) in one sweep, with no array of squares.
 */
export function boxSumAndSquares(src: Float32Array, width: number, height: number, r: number, sums: Float32Array, sumsOfSquares: Float32Array): void {
  const n = width * height;
  const [intoSums, intoSquares] = [requireValues(sums, n, 'the sums'), requireValues(sumsOfSquares, n, 'the sums of squares')];
  if (n === 0) return;
  const wasm = instance();
  const bytes = aligned(4 * n);
  const memory = memoryFor(wasm, 3 * bytes + 2 * 8 * (width + 2 * r));
  new Float32Array(memory, 0, n).set(requireValues(src, n, 'the image'));
  wasm.boxSumAndSquares(0, width, height, r, bytes, 2 * bytes, 3 * bytes);
  intoSums.set(new Float32Array(memory, bytes, n));
  intoSquares.set(new Float32Array(memory, 2 * bytes, n));
}
