// Dense optical flow by Dense Inverse Search (Kroeger et al., ECCV 2016), after OpenCV's
// DISOpticalFlow: coarse to fine over an image pyramid, per scale
//   1. a grid of square patches of a, each sought in b by inverse-compositional Gauss–Newton from
//      the coarser scale's flow, patch means normalised away (optionally with spatial propagation:
//      a patch starts from its already-searched neighbour's vector when that fits better);
//   2. densification: each pixel averages the vectors of the patches over it, weighted by how well
//      each one carries the pixel (1 / |photometric error|);
//   3. variational refinement (variational.ts).
// Same convention as every Flow here (image.ts): for each pixel p of a, d with a(p) ≈ b(p + d).
import { resizeTaps, type Flow, type Gray } from './image.js';
import { FLOW_MIN_SIZE, pyramidOf, type PyramidLevel } from './pyramid.js';
import { resizeFlow } from './warp.js';
import { refineFlow, type VariationalOptions } from './variational.js';

export interface DisOptions {
  /** finest pyramid level searched (0: the input's size); the flow is resized up from it */
  finestScale?: number;
  /** side of the square patches */
  patchSize?: number;
  /** distance between neighbouring patches; patchSize + patchStride ≤ 16 */
  patchStride?: number;
  /** Gauss–Newton steps per patch at the finest scale (split between the two passes with spatial propagation) */
  iterations?: number;
  /** the same at the coarser scales, where patches are few and the motion still to be found is large */
  coarseIterations?: number;
  /** scales searched beyond OpenCV's rule (coarsest level about 4 patches across) */
  extraScales?: number;
  /** fixed-point steps of the variational refinement at each scale but the finest (0: none) */
  variationalIterations?: number;
  /** SOR sweeps per fixed-point step, at each scale but the finest */
  sorIterations?: number;
  /** fixed-point steps at the finest scale, where they cost the most (0: none) */
  finestVariationalIterations?: number;
  /** SOR sweeps per fixed-point step at the finest scale */
  finestSorIterations?: number;
  /** weight of smoothness in the refinement */
  alpha?: number;
  /** weight of gradient constancy in the refinement (0 leaves the term out, which is cheaper) */
  gamma?: number;
  /** weight of brightness constancy in the refinement */
  delta?: number;
  /** compare patches with their means removed (robust to brightness changes) */
  meanNormalization?: boolean;
  /** try neighbours' vectors as starting points, in a forward and a backward pass */
  spatialPropagation?: boolean;
  /** fraction of the Gauss–Newton step taken */
  step?: number;
}

/**
 * The temporal stage's settings: patch stride 3 and OpenCV's variational refinement (5 x 5 sweeps,
 * α 20, γ 10, δ 5) at every scale, search and refinement stopped at half size and the flow resized
 * up from there. Fused with Farnebäck it is as stable as the full-size search, for a quarter of the
 * cost (docs/temporal-method.md, Flow). Spatial propagation stays off: repeated textures let a
 * neighbour's wrong vector fit.
 */
export const DIS_STAGE = { patchStride: 3, iterations: 3, variationalIterations: 5, sorIterations: 5, finestVariationalIterations: 5, finestSorIterations: 5, alpha: 20, gamma: 10, finestScale: 1 } satisfies DisOptions;

/** The defaults (the "medium" preset of scripts/flow-bench.js), chosen by measurement: docs/temporal-method.md, Flow. */
const DEFAULTS: Required<DisOptions> = {
  finestScale: 0,
  patchSize: 8,
  patchStride: 5,
  iterations: 2,
  coarseIterations: 4,
  extraScales: 1,
  variationalIterations: 3,
  sorIterations: 2,
  finestVariationalIterations: 0,
  finestSorIterations: 2,
  alpha: 10,
  gamma: 0,
  delta: 5,
  meanNormalization: true,
  spatialPropagation: false,
  step: 1,
};

/**
 * Border (px) of replicated edge around b, so that patches can be sampled without clamping each
 * pixel: a patch may hang over the image by all but one pixel, and the last patch of a row or
 * column is stretched by up to stride − 1 pixels to cover the rest, so patchSize + patchStride ≤ BORDER.
 */
const BORDER = 16;

/** Working memory, sized for the finest scale searched and reused by the coarser ones and by later calls. */
class DisScratch {
  private static last?: DisScratch;
  static for(width: number, height: number, patchSize: number, stride: number): DisScratch {
    const last = DisScratch.last;
    const pixels = width * height;
    const patches = Math.max(0, 1 + Math.floor((width - patchSize) / stride)) * Math.max(0, 1 + Math.floor((height - patchSize) / stride));
    const padded = (width + 2 * BORDER) * (height + 2 * BORDER);
    if (last && last.pixels >= pixels && last.patches >= patches && last.paddedSize >= padded) return last;
    return (DisScratch.last = new DisScratch(pixels, patches, padded));
  }
  readonly u: Float32Array;
  readonly v: Float32Array;
  readonly su: Float32Array;
  readonly sv: Float32Array;
  /** per patch: inverse structure tensor (3), sums of gradients (2) */
  readonly tensor: Float32Array;
  /** per pixel: the sums of the densification weights and of the weighted vectors */
  readonly weights: Float32Array;
  /** the coarser scale's flow while it is resized */
  readonly coarseU: Float32Array;
  readonly coarseV: Float32Array;
  readonly padded: Float32Array;
  private constructor(readonly pixels: number, readonly patches: number, readonly paddedSize: number) {
    this.u = new Float32Array(pixels);
    this.v = new Float32Array(pixels);
    this.su = new Float32Array(patches);
    this.sv = new Float32Array(patches);
    this.tensor = new Float32Array(5 * patches);
    this.weights = new Float32Array(3 * pixels);
    this.coarseU = new Float32Array(pixels);
    this.coarseV = new Float32Array(pixels);
    this.padded = new Float32Array(paddedSize);
  }
}

/** The deepest level searched: about width/4 of motion at most, and patches still fit (OpenCV's rule). */
function coarsestScale(width: number, height: number, patchSize: number, levels: number, extra: number): number {
  const byMotion = Math.floor(Math.log2(Math.max(width, height) / (4 * patchSize)) + 0.5) + extra;
  const byPatch = Math.floor(Math.log2(Math.min(width, height) / patchSize));
  return Math.max(0, Math.min(byMotion, byPatch, levels - 1));
}

/** Flow from a to b (same size) by DIS. */
export function disFlow(a: Gray, b: Gray, options: DisOptions = {}): Flow {
  const o = { ...DEFAULTS, ...options };
  if (!(o.patchSize >= 2 && o.patchStride >= 1 && o.patchSize + o.patchStride <= BORDER)) throw new RangeError(`patch size ${o.patchSize} and stride ${o.patchStride}: both positive, their sum at most ${BORDER}`);
  const pyramidA = pyramidOf(a, FLOW_MIN_SIZE);
  const pyramidB = pyramidOf(b, FLOW_MIN_SIZE);
  const finest = Math.min(o.finestScale, pyramidA.length - 1);
  const coarsest = Math.max(finest, coarsestScale(a.width, a.height, o.patchSize, pyramidA.length, o.extraScales));
  const top = pyramidA[finest].image;
  const scratch = DisScratch.for(top.width, top.height, o.patchSize, o.patchStride);
  const variational: VariationalOptions = { iterations: o.variationalIterations, sorIterations: o.sorIterations, alpha: o.alpha, gamma: o.gamma, delta: o.delta };
  const finestVariational: VariationalOptions = { ...variational, iterations: o.finestVariationalIterations, sorIterations: o.finestSorIterations };
  const { u, v } = scratch;
  let width = 0, height = 0;
  for (let level = coarsest; level >= finest; level--) {
    const la = pyramidA[level], lb = pyramidB[level];
    const w = la.image.width, h = la.image.height;
    if (level === coarsest) {
      u.fill(0, 0, w * h);
      v.fill(0, 0, w * h);
    } else {
      scratch.coarseU.set(u.subarray(0, width * height));
      scratch.coarseV.set(v.subarray(0, width * height));
      upsample(scratch.coarseU, scratch.coarseV, width, height, u, v, w, h);
    }
    width = w;
    height = h;
    if (w >= o.patchSize && h >= o.patchSize) {
      padImage(lb.image, scratch.padded);
      const gradients = searchGradients(la);
      patchTensors(gradients, o.patchSize, o.patchStride, scratch.tensor);
      patchSearch(la.image, gradients, scratch.padded, u, v, scratch.su, scratch.sv, scratch.tensor, o, level === finest ? o.iterations : o.coarseIterations);
      densify(la.image, scratch.padded, u, v, scratch.su, scratch.sv, scratch.weights, o.patchSize, o.patchStride);
    }
    refineFlow(la.image, lb.image, u.subarray(0, w * h), v.subarray(0, w * h), level === finest ? finestVariational : variational);
  }
  const flow: Flow = { width, height, data: new Float32Array(2 * width * height) };
  for (let i = 0; i < width * height; i++) {
    flow.data[2 * i] = u[i];
    flow.data[2 * i + 1] = v[i];
  }
  return finest > 0 ? resizeFlow(flow, a.width, a.height) : flow;
}

/** The w x h planes (su, sv) resized to width x height into (u, v), bilinearly, vectors scaled with them. */
function upsample(su: Float32Array, sv: Float32Array, w: number, h: number, u: Float32Array, v: Float32Array, width: number, height: number): void {
  const across = resizeTaps(w, width), down = resizeTaps(h, height);
  const scaleX = width / w, scaleY = height / h;
  for (let y = 0; y < height; y++) {
    const top = down.low[y] * w, bottom = down.high[y] * w, fy = down.weight[y];
    for (let x = 0, o = y * width; x < width; x++, o++) {
      const l = across.low[x], r = across.high[x], fx = across.weight[x];
      u[o] = ((su[top + l] * (1 - fx) + su[top + r] * fx) * (1 - fy) + (su[bottom + l] * (1 - fx) + su[bottom + r] * fx) * fy) * scaleX;
      v[o] = ((sv[top + l] * (1 - fx) + sv[top + r] * fx) * (1 - fy) + (sv[bottom + l] * (1 - fx) + sv[bottom + r] * fx) * fy) * scaleY;
    }
  }
}

/** image with BORDER pixels of replicated edge on every side, into out (stride width + 2·BORDER). */
function padImage(image: Gray, out: Float32Array): void {
  const { width, height, data } = image;
  const stride = width + 2 * BORDER;
  for (let y = -BORDER; y < height + BORDER; y++) {
    const src = Math.min(Math.max(y, 0), height - 1) * width;
    const row = (y + BORDER) * stride;
    const left = data[src], right = data[src + width - 1];
    for (let x = 0; x < BORDER; x++) {
      out[row + x] = left;
      out[row + BORDER + width + x] = right;
    }
    out.set(data.subarray(src, src + width), row + BORDER);
  }
}

/**
 * The gradients the patch search linearises a with: central differences averaged over the pixel
 * and its two neighbours across (Prewitt). Measured against the plain central differences and
 * Sobel's 1-2-1: 0.63, 0.72 and 0.68 px mean end-point error on the Middlebury pairs (route); a
 * wider average or one along the derivative did worse. Kept per pyramid level, so per frame: each
 * frame is the first image of two of the four flows it takes part in.
 */
const searchGradientCache = new WeakMap<PyramidLevel, SearchGradients>();

interface SearchGradients {
  width: number;
  height: number;
  dx: Float32Array;
  dy: Float32Array;
}

function searchGradients(level: PyramidLevel): SearchGradients {
  const cached = searchGradientCache.get(level);
  if (cached) return cached;
  const { width: w, height: h } = level.image;
  const dx = new Float32Array(w * h), dy = new Float32Array(w * h);
  const sx = level.dx, sy = level.dy;
  for (let y = 0; y < h; y++) {
    const up = y > 0 ? -w : 0, down = y < h - 1 ? w : 0;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      const left = x > 0 ? i - 1 : i, right = x < w - 1 ? i + 1 : i;
      dx[i] = (sx[i + up] + sx[i] + sx[i + down]) * (1 / 3);
      dy[i] = (sy[left] + sy[i] + sy[right]) * (1 / 3);
    }
  }
  const gradients = { width: w, height: h, dx, dy };
  searchGradientCache.set(level, gradients);
  return gradients;
}

/** Per patch: the inverse of its structure tensor (mean-normalised) and its gradient sums. */
function patchTensors(gradients: SearchGradients, size: number, stride: number, tensor: Float32Array): void {
  const { width: w, height: h } = gradients;
  const gx = gradients.dx, gy = gradients.dy;
  const cols = 1 + Math.floor((w - size) / stride), rows = 1 + Math.floor((h - size) / stride);
  const n = size * size;
  for (let is = 0, k = 0; is < rows; is++) {
    for (let js = 0; js < cols; js++, k++) {
      let xx = 0, xy = 0, yy = 0, sx = 0, sy = 0;
      for (let r = 0; r < size; r++) {
        for (let c = 0, p = (is * stride + r) * w + js * stride; c < size; c++, p++) {
          const x = gx[p], y = gy[p];
          xx += x * x; xy += x * y; yy += y * y; sx += x; sy += y;
        }
      }
      // With the patch means removed, the Hessian is that of the centred gradients.
      xx -= (sx * sx) / n; xy -= (sx * sy) / n; yy -= (sy * sy) / n;
      const lambda = 1e-9 * n; // flat patches: a tiny ridge keeps the inverse finite
      xx += lambda; yy += lambda;
      const det = xx * yy - xy * xy;
      tensor[5 * k] = yy / det;
      tensor[5 * k + 1] = -xy / det;
      tensor[5 * k + 2] = xx / det;
      tensor[5 * k + 3] = sx;
      tensor[5 * k + 4] = sy;
    }
  }
}

// Results of the patch kernels, to avoid allocating: the gradient of the cost.
const gradient = new Float64Array(2);
// One row of b interpolated along x, carried from row to row of the patch.
let rowBuffer = new Float64Array(16);

/**
 * Cost of patch (x0, y0) of a against b (padded) displaced by (u, v): the sum of squared
 * differences, less the squared mean difference when normalising. With gradients, also
 * Σ diff·(g − ḡ) into `gradient` (the steepest-descent image of the inverse compositional step).
 * b is interpolated bilinearly, along x once per row, and each row reused for the next.
 */
function patchCost(A: Float32Array, w: number, h: number, P: Float32Array, gx: Float32Array, gy: Float32Array, x0: number, y0: number, u: number, v: number, size: number, sumX: number, sumY: number, normalise: boolean, withGradient: boolean): number {
  const stride = w + 2 * BORDER;
  const px = Math.min(Math.max(x0 + u + BORDER, BORDER - size + 1), BORDER + w - 1);
  const py = Math.min(Math.max(y0 + v + BORDER, BORDER - size + 1), BORDER + h - 1);
  const ix = Math.floor(px), iy = Math.floor(py);
  const fx = px - ix, fy = py - iy;
  const ax = 1 - fx, ay = 1 - fy;
  const row = rowBuffer;
  let q = iy * stride + ix;
  let right = P[q];
  for (let c = 0; c < size; c++) {
    const left = right;
    right = P[q + c + 1];
    row[c] = left * ax + right * fx;
  }
  let sd = 0, sdd = 0, sgx = 0, sgy = 0;
  for (let r = 0; r < size; r++) {
    q += stride;
    const p = (y0 + r) * w + x0;
    right = P[q];
    for (let c = 0; c < size; c++) {
      const left = right;
      right = P[q + c + 1];
      const below = left * ax + right * fx;
      const d = row[c] * ay + below * fy - A[p + c];
      row[c] = below;
      sd += d;
      sdd += d * d;
      if (withGradient) {
        sgx += d * gx[p + c];
        sgy += d * gy[p + c];
      }
    }
  }
  const n = size * size;
  if (!normalise) {
    gradient[0] = sgx;
    gradient[1] = sgy;
    return sdd;
  }
  gradient[0] = sgx - (sd * sumX) / n;
  gradient[1] = sgy - (sd * sumY) / n;
  return sdd - (sd * sd) / n;
}

/** Inverse search of every patch; sparse vectors into su, sv (one per patch, row-major grid). */
function patchSearch(image: Gray, gradients: SearchGradients, P: Float32Array, u: Float32Array, v: Float32Array, su: Float32Array, sv: Float32Array, tensor: Float32Array, o: Required<DisOptions>, iterations: number): void {
  const { width: w, height: h, data: A } = image;
  const gx = gradients.dx, gy = gradients.dy;
  const size = o.patchSize, stride = o.patchStride, half = size >> 1;
  const cols = 1 + Math.floor((w - size) / stride), rows = 1 + Math.floor((h - size) / stride);
  const passes = o.spatialPropagation ? 2 : 1;
  const steps = Math.max(1, Math.floor(iterations / passes));
  const normalise = o.meanNormalization;
  if (rowBuffer.length < size) rowBuffer = new Float64Array(size);
  for (let is = 0, k = 0; is < rows; is++)
    for (let js = 0; js < cols; js++, k++) {
      const c = (is * stride + half) * w + js * stride + half;
      su[k] = u[c];
      sv[k] = v[c];
    }
  for (let pass = 0; pass < passes; pass++) {
    const dir = pass === 0 ? 1 : -1;
    for (let n = 0; n < rows; n++) {
      const is = dir > 0 ? n : rows - 1 - n;
      for (let m = 0; m < cols; m++) {
        const js = dir > 0 ? m : cols - 1 - m;
        const k = is * cols + js;
        const x0 = js * stride, y0 = is * stride;
        const t = 5 * k;
        const sumX = tensor[t + 3], sumY = tensor[t + 4];
        let cu = su[k], cv = sv[k];
        let best = Infinity;
        if (passes > 1) {
          best = patchCost(A, w, h, P, gx, gy, x0, y0, cu, cv, size, sumX, sumY, normalise, false);
          if (m > 0) {
            const j = k - dir;
            const cost = patchCost(A, w, h, P, gx, gy, x0, y0, su[j], sv[j], size, sumX, sumY, normalise, false);
            if (cost < best) (best = cost), (cu = su[j]), (cv = sv[j]);
          }
          if (n > 0) {
            const j = k - dir * cols;
            const cost = patchCost(A, w, h, P, gx, gy, x0, y0, su[j], sv[j], size, sumX, sumY, normalise, false);
            if (cost < best) (best = cost), (cu = su[j]), (cv = sv[j]);
          }
        }
        const startU = cu, startV = cv;
        const h11 = tensor[t], h12 = tensor[t + 1], h22 = tensor[t + 2];
        let previous = Infinity;
        let lastU = cu, lastV = cv;
        for (let it = 0; it < steps; it++) {
          const cost = patchCost(A, w, h, P, gx, gy, x0, y0, cu, cv, size, sumX, sumY, normalise, true);
          if (cost >= previous) {
            // the last step made things worse: take it back and stop
            cu = lastU;
            cv = lastV;
            break;
          }
          previous = cost;
          lastU = cu;
          lastV = cv;
          const gu = gradient[0], gv = gradient[1];
          cu -= o.step * (h11 * gu + h12 * gv);
          cv -= o.step * (h12 * gu + h22 * gv);
        }
        // A vector that wandered further than a patch from where it started is not trusted.
        const du = cu - startU, dv = cv - startV;
        if (du * du + dv * dv <= size * size) {
          su[k] = cu;
          sv[k] = cv;
        } else {
          su[k] = startU;
          sv[k] = startV;
        }
      }
    }
  }
}

/**
 * Dense flow from the patches' vectors: per pixel the mean over the patches covering it, weighted
 * by 1/|a(p) − b(p + d)|. Pixels beyond the last patch of a row or column (when the stride does not
 * divide the size) take that patch's. Patch by patch, as the search: one vector, one set of
 * bilinear weights, b padded (P) so that nothing is clamped per pixel. sums: (Σw, Σw·u, Σw·v) per pixel.
 */
function densify(a: Gray, P: Float32Array, u: Float32Array, v: Float32Array, su: Float32Array, sv: Float32Array, sums: Float32Array, size: number, stride: number): void {
  const { width: w, height: h, data: A } = a;
  const pw = w + 2 * BORDER;
  const cols = 1 + Math.floor((w - size) / stride), rows = 1 + Math.floor((h - size) / stride);
  const eps = 1 / 255;
  const n = w * h;
  sums.fill(0, 0, 3 * n);
  for (let is = 0, k = 0; is < rows; is++) {
    const y0 = is * stride;
    const patchHeight = is === rows - 1 ? h - y0 : size;
    for (let js = 0; js < cols; js++, k++) {
      const x0 = js * stride;
      const patchWidth = js === cols - 1 ? w - x0 : size;
      const pu = su[k], pv = sv[k];
      // where the patch lands in P, kept inside the padding (as the search keeps it)
      const px = Math.min(Math.max(x0 + pu + BORDER, BORDER - size + 1), BORDER + w - 1);
      const py = Math.min(Math.max(y0 + pv + BORDER, BORDER - size + 1), BORDER + h - 1);
      const ix = Math.floor(px), iy = Math.floor(py);
      const fx = px - ix, fy = py - iy;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      for (let r = 0; r < patchHeight; r++) {
        let q = (iy + r) * pw + ix;
        let p = (y0 + r) * w + x0;
        let top = P[q], bottom = P[q + pw];
        for (let c = 0; c < patchWidth; c++, p++) {
          q++;
          const nextTop = P[q], nextBottom = P[q + pw];
          const d = w00 * top + w01 * nextTop + w10 * bottom + w11 * nextBottom - A[p];
          top = nextTop;
          bottom = nextBottom;
          const weight = 1 / Math.max(eps, Math.abs(d));
          const t = 3 * p;
          sums[t] += weight;
          sums[t + 1] += weight * pu;
          sums[t + 2] += weight * pv;
        }
      }
    }
  }
  for (let i = 0, t = 0; i < n; i++, t += 3) {
    const inverse = 1 / sums[t];
    u[i] = sums[t + 1] * inverse;
    v[i] = sums[t + 2] * inverse;
  }
}
