// Middlebury .flo files (ground-truth optical flow), and the end-point error of a flow against one.
// Format: float32 tag 202021.25, int32 width, int32 height, then (u, v) float32 per pixel, row by
// row, little-endian; |u| or |v| above 1e9 means the true motion is unknown there.
import type { Flow } from './image.js';

const FLO_TAG = 202021.25;

/** Above this, a component of a .flo vector means "unknown". */
export const FLO_UNKNOWN = 1e9;

/** The flow a .flo file holds, vectors interleaved as (dx, dy) like every Flow here. */
export function readFlo(bytes: Uint8Array): Flow {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getFloat32(0, true) !== FLO_TAG) throw new Error('not a .flo file (bad tag)');
  const width = view.getInt32(4, true);
  const height = view.getInt32(8, true);
  if (width <= 0 || height <= 0 || width * height > 1 << 28) throw new Error(`.flo file with a bad size ${width}x${height}`);
  if (bytes.byteLength < 12 + width * height * 8) throw new Error('.flo file is truncated');
  const data = new Float32Array(width * height * 2);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(12 + 4 * i, true);
  return { width, height, data };
}

/** Whether the true vector of pixel i is known. */
export const known = (truth: Flow, i: number): boolean => Math.abs(truth.data[2 * i]) <= FLO_UNKNOWN && Math.abs(truth.data[2 * i + 1]) <= FLO_UNKNOWN;

/**
 * Mean end-point error (px): the mean distance between estimated and true vectors, over the pixels
 * whose truth is known and that `exclude` (if given, one byte per pixel) does not mark.
 */
export function endPointError(flow: Flow, truth: Flow, exclude?: Uint8Array): number {
  if (flow.width !== truth.width || flow.height !== truth.height) throw new Error(`flow ${flow.width}x${flow.height} against truth ${truth.width}x${truth.height}`);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < flow.width * flow.height; i++) {
    if (!known(truth, i) || exclude?.[i]) continue;
    sum += Math.hypot(flow.data[2 * i] - truth.data[2 * i], flow.data[2 * i + 1] - truth.data[2 * i + 1]);
    n++;
  }
  return n ? sum / n : NaN;
}
