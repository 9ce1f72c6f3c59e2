// Dense optical flow by coarse-to-fine Lucas–Kanade with iterative warping, on grey images: the
// stability report's ruler (a flow the temporal stage does not follow; see docs/temporal-method.md).
// flow(a, b) gives, for every pixel p of a, the displacement d with a(p) ≈ b(p + d).
import type { Flow, Gray } from '../temporal/image.js';
import { FLOW_MIN_SIZE, pyramidOf, type PyramidLevel } from '../temporal/pyramid.js';
import { resizeFlow } from '../temporal/warp.js';
import type { LucasKanadeOptions } from '../temporal/tf-flow.js';

/** Working memory of the least squares, sized for the finest level and reused by the coarser ones. */
class LeastSquaresScratch {
  private static last?: LeastSquaresScratch;
  /** The previous call's, when the size matches: a video's frames all have one size. */
  static for(width: number, height: number, radius: number): LeastSquaresScratch {
    const last = LeastSquaresScratch.last;
    if (last && last.width === width && last.height === height && last.radius === radius) return last;
    return (LeastSquaresScratch.last = new LeastSquaresScratch(width, height, radius));
  }
  readonly sums: Float32Array[];
  readonly row: Float32Array[];
  readonly column: Float64Array[];
  private constructor(readonly width: number, readonly height: number, readonly radius: number) {
    this.sums = Array.from({ length: 5 }, () => new Float32Array(width * height));
    this.row = Array.from({ length: 5 }, () => new Float32Array(width + 2 * radius + 1));
    this.column = Array.from({ length: 5 }, () => new Float64Array(width));
  }
}

/**
 * Lucas–Kanade steps at one level. Per pixel: the five products of the linearised brightness
 * constancy (gx², gxgy, gy², gxgt, gygt), summed over a (2r+1)² window with edges replicated, then
 * the 2x2 system solved. Products and row sums are made one row at a time and the column sums run
 * down the image as the solve consumes them, so a step reads and writes each value once.
 */
function refine(a: PyramidLevel, b: PyramidLevel, flow: Float32Array, radius: number, iterations: number, scratch: LeastSquaresScratch): void {
  const { width, height } = a.image;
  const A = a.image.data, B = b.image.data;
  const adx = a.dx, ady = a.dy, bdx = b.dx, bdy = b.dy;
  const [sxx, sxy, syy, sxt, syt] = scratch.sums;
  const [pxx, pxy, pyy, pxt, pyt] = scratch.row;
  const [cxx, cxy, cyy, cxt, cyt] = scratch.column;
  const area = (2 * radius + 1) ** 2;
  const lambda = 1e-4 * area; // keeps flat regions from exploding; they keep the coarse estimate
  const rowLength = width + 2 * radius;
  for (let it = 0; it < iterations; it++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const sx = Math.min(Math.max(x + flow[2 * i], 0), width - 1);
        const sy = Math.min(Math.max(y + flow[2 * i + 1], 0), height - 1);
        const x0 = sx | 0, y0 = sy | 0; // sx, sy ≥ 0: truncation is floor
        const fx = sx - x0, fy = sy - y0;
        const p00 = y0 * width + x0;
        const p01 = x0 + 1 < width ? p00 + 1 : p00;
        const p10 = y0 + 1 < height ? p00 + width : p00;
        const p11 = x0 + 1 < width ? p10 + 1 : p10;
        const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        // b and its gradients sampled where the flow points, with one set of bilinear weights:
        // sampling commutes with differencing. Gradients are those of the mean of both images,
        // symmetric and robust to a little misalignment.
        const gt = w00 * B[p00] + w01 * B[p01] + w10 * B[p10] + w11 * B[p11] - A[i];
        const gx = 0.5 * (adx[i] + w00 * bdx[p00] + w01 * bdx[p01] + w10 * bdx[p10] + w11 * bdx[p11]);
        const gy = 0.5 * (ady[i] + w00 * bdy[p00] + w01 * bdy[p01] + w10 * bdy[p10] + w11 * bdy[p11]);
        const k = x + radius;
        pxx[k] = gx * gx; pxy[k] = gx * gy; pyy[k] = gy * gy; pxt[k] = gx * gt; pyt[k] = gy * gt;
      }
      for (const p of scratch.row) {
        p.fill(p[radius], 0, radius);
        p.fill(p[radius + width - 1], radius + width, rowLength + 1);
      }
      rowSums(scratch.row, scratch.sums, y * width, width, radius);
    }
    // Column sums over the replicated edge, then slide down; solve each row as its sums complete.
    for (let x = 0; x < width; x++) {
      cxx[x] = cxy[x] = cyy[x] = cxt[x] = cyt[x] = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        const j = Math.min(Math.max(dy, 0), height - 1) * width + x;
        cxx[x] += sxx[j]; cxy[x] += sxy[j]; cyy[x] += syy[j]; cxt[x] += sxt[j]; cyt[x] += syt[j];
      }
    }
    for (let y = 0; y < height; y++) {
      const entering = Math.min(y + radius + 1, height - 1) * width;
      const leaving = Math.max(y - radius, 0) * width;
      for (let x = 0; x < width; x++) {
        const a11 = cxx[x] + lambda, a12 = cxy[x], a22 = cyy[x] + lambda;
        const inverse = 1 / (a11 * a22 - a12 * a12);
        const du = (a12 * cyt[x] - a22 * cxt[x]) * inverse;
        const dv = (a12 * cxt[x] - a11 * cyt[x]) * inverse;
        const i = y * width + x;
        flow[2 * i] += Math.max(-1, Math.min(1, du));
        flow[2 * i + 1] += Math.max(-1, Math.min(1, dv));
        const e = entering + x, l = leaving + x;
        cxx[x] += sxx[e] - sxx[l]; cxy[x] += sxy[e] - sxy[l]; cyy[x] += syy[e] - syy[l];
        cxt[x] += sxt[e] - sxt[l]; cyt[x] += syt[e] - syt[l];
      }
    }
  }
}

/** Running sums of 2r+1 along padded rows (edges already replicated into the padding), written at `offset`. */
function rowSums(rows: Float32Array[], out: Float32Array[], offset: number, width: number, radius: number): void {
  for (let c = 0; c < rows.length; c++) {
    const p = rows[c], o = out[c];
    let acc = 0;
    for (let k = 0; k <= 2 * radius; k++) acc += p[k];
    for (let x = 0; x < width; x++) {
      o[offset + x] = acc;
      acc += p[x + 2 * radius + 1] - p[x];
    }
  }
}

/** A 3x3 mean of each component, edges replicated: local least squares leaves pixel noise that reads as motion boundaries. */
function smoothFlow(flow: Float32Array, width: number, height: number): void {
  const tmp = new Float32Array(flow.length);
  const stride = 2 * width;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const l = row + 2 * Math.max(x - 1, 0), c = row + 2 * x, r = row + 2 * Math.min(x + 1, width - 1);
      tmp[c] = flow[l] + flow[c] + flow[r];
      tmp[c + 1] = flow[l + 1] + flow[c + 1] + flow[r + 1];
    }
  }
  for (let y = 0; y < height; y++) {
    const up = Math.max(y - 1, 0) * stride, row = y * stride, down = Math.min(y + 1, height - 1) * stride;
    for (let k = 0; k < stride; k++) flow[row + k] = (tmp[up + k] + tmp[row + k] + tmp[down + k]) / 9;
  }
}

/** Flow from a to b (same size). */
export function opticalFlow(a: Gray, b: Gray, options: LucasKanadeOptions = {}): Flow {
  const radius = options.radius ?? 4;
  const iterations = options.iterations ?? 3;
  const minSize = options.minSize ?? FLOW_MIN_SIZE;
  const pyramidA = pyramidOf(a, minSize);
  const pyramidB = pyramidOf(b, minSize);
  const scratch = LeastSquaresScratch.for(a.width, a.height, radius);
  let flow: Flow | undefined;
  for (let level = pyramidA.length - 1; level >= 0; level--) {
    const la = pyramidA[level].image;
    const next = flow ? resizeFlow(flow, la.width, la.height).data : new Float32Array(la.width * la.height * 2);
    refine(pyramidA[level], pyramidB[level], next, radius, iterations, scratch);
    smoothFlow(next, la.width, la.height);
    flow = { width: la.width, height: la.height, data: next };
  }
  return flow!;
}
