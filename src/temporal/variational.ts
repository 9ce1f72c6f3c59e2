// Variational refinement of a dense flow, as the last step of each scale of DIS (dis-flow.ts):
// the flow W is corrected by dW minimising, per pixel,
//   δ·Ψ(brightness constancy) + γ·Ψ(gradient constancy) + α·Ψ(|∇(W + dW)|²)
// with Ψ(s²) = √(s² + ε²), both constancy terms linearised around b warped by W and normalised by
// the local gradient (Zimmer et al.), as in Brox et al. / OpenCV's VariationalRefinement. Each
// fixed-point step freezes the robust weights and solves the linear system by a few sweeps of
// successive over-relaxation. One job only: it does not know about pyramids or patches.
import type { Gray } from './flow.js';

export interface VariationalOptions {
  /** fixed-point steps (robust weights recomputed each) */
  iterations: number;
  /** SOR sweeps per fixed-point step */
  sorIterations: number;
  /** smoothness weight */
  alpha: number;
  /** gradient constancy weight */
  gamma: number;
  /** brightness constancy weight */
  delta: number;
  /** over-relaxation factor */
  omega?: number;
}

/** ε of the robust penalty, in pixels (of flow difference or of normalised residual). */
const EPSILON = 0.001;
/** Added to squared gradient norms before dividing by them: in intensity units (0..1) per pixel. */
const ZETA_SQUARED = (0.1 / 255) ** 2;
/** Added to the diagonal: keeps the step finite where nothing constrains it. */
const REGULARISATION = 0.01;

/**
 * Working memory. Every per-pixel array has a one-pixel frame around the image (stride w + 2) in
 * which weights and increments stay 0, so that the sweeps need no tests at the border.
 */
export class VariationalScratch {
  private static last?: VariationalScratch;
  /** The previous call's, if large enough: the scales of a pyramid and the frames of a video reuse one. */
  static for(width: number, height: number): VariationalScratch {
    const last = VariationalScratch.last;
    if (last && last.capacity >= (width + 2) * (height + 2)) return last;
    return (VariationalScratch.last = new VariationalScratch((width + 2) * (height + 2)));
  }
  readonly arrays: Float32Array[];
  private constructor(readonly capacity: number) {
    this.arrays = Array.from({ length: 21 }, () => new Float32Array(capacity));
  }
}

/**
 * Refines u, v (flow from a to b, one plane per component, row-major, a's size) in place.
 * Intensities of a and b are 0..1.
 */
export function refineFlow(a: Gray, b: Gray, u: Float32Array, v: Float32Array, options: VariationalOptions, scratch = VariationalScratch.for(a.width, a.height)): void {
  if (options.iterations <= 0) return;
  const { width: w, height: h } = a;
  const s = w + 2;
  const size = s * (h + 2);
  const [Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz, A11, A12, A22, B1, B2, du, dv, W, wu, wv, tu, tv, avg] = scratch.arrays;
  for (const array of scratch.arrays) array.fill(0, 0, size);
  prepare(a, b, u, v, avg, Iz, wu, wv);
  derivatives(avg, Ix, Iy, w, h);
  derivatives(Iz, Ixz, Iyz, w, h);
  derivatives(Ix, Ixx, Ixy, w, h);
  derivativeY(Iy, Iyy, w, h);
  tu.set(wu.subarray(0, size));
  tv.set(wv.subarray(0, size));
  const omega = options.omega ?? 1.6;
  for (let k = 0; k < options.iterations; k++) {
    dataTerm(Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz, du, dv, A11, A12, A22, B1, B2, w, h, options.delta / 2, options.gamma / 2);
    smoothnessTerm(tu, tv, wu, wv, W, A11, A22, B1, B2, w, h, options.alpha / 2);
    for (let sweep = 0; sweep < options.sorIterations; sweep++) sor(A11, A12, A22, B1, B2, W, du, dv, w, h, omega);
    for (let y = 1; y <= h; y++)
      for (let i = y * s + 1, end = i + w; i < end; i++) {
        tu[i] = wu[i] + du[i];
        tv[i] = wv[i] + dv[i];
      }
  }
  for (let y = 0; y < h; y++)
    for (let x = 0, i = (y + 1) * s + 1, o = y * w; x < w; x++, i++, o++) {
      u[o] = tu[i];
      v[o] = tv[i];
    }
}

/** b warped by the flow (bilinear, clamped), its mean with a, their difference, and the flow copied into the padded layout. */
function prepare(a: Gray, b: Gray, u: Float32Array, v: Float32Array, avg: Float32Array, Iz: Float32Array, wu: Float32Array, wv: Float32Array): void {
  const { width: w, height: h } = a;
  const A = a.data, B = b.data;
  const s = w + 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * w + x;
      const i = (y + 1) * s + x + 1;
      const fu = u[o], fv = v[o];
      wu[i] = fu;
      wv[i] = fv;
      const sx = Math.min(Math.max(x + fu, 0), w - 1);
      const sy = Math.min(Math.max(y + fv, 0), h - 1);
      const x0 = sx | 0, y0 = sy | 0;
      const fx = sx - x0, fy = sy - y0;
      const p = y0 * w + x0;
      const px = x0 + 1 < w ? 1 : 0, py = y0 + 1 < h ? w : 0;
      const warped = (B[p] * (1 - fx) + B[p + px] * fx) * (1 - fy) + (B[p + py] * (1 - fx) + B[p + py + px] * fx) * fy;
      avg[i] = 0.5 * (A[o] + warped);
      Iz[i] = warped - A[o];
    }
  }
}

/** Central differences (halved) along x and y of a padded plane, edges replicated. */
function derivatives(src: Float32Array, dx: Float32Array, dy: Float32Array, w: number, h: number): void {
  const s = w + 2;
  for (let y = 1; y <= h; y++) {
    const up = y > 1 ? -s : 0, down = y < h ? s : 0;
    const row = y * s;
    for (let x = 1; x <= w; x++) {
      const i = row + x;
      dx[i] = 0.5 * (src[x < w ? i + 1 : i] - src[x > 1 ? i - 1 : i]);
      dy[i] = 0.5 * (src[i + down] - src[i + up]);
    }
  }
}

function derivativeY(src: Float32Array, dy: Float32Array, w: number, h: number): void {
  const s = w + 2;
  for (let y = 1; y <= h; y++) {
    const up = y > 1 ? -s : 0, down = y < h ? s : 0;
    for (let i = y * s + 1, end = i + w; i < end; i++) dy[i] = 0.5 * (src[i + down] - src[i + up]);
  }
}

/** The data terms' share of the 2x2 system per pixel, with robust weights at the current increment. */
function dataTerm(
  Ix: Float32Array, Iy: Float32Array, Iz: Float32Array, Ixx: Float32Array, Ixy: Float32Array, Iyy: Float32Array, Ixz: Float32Array, Iyz: Float32Array,
  du: Float32Array, dv: Float32Array, A11: Float32Array, A12: Float32Array, A22: Float32Array, B1: Float32Array, B2: Float32Array,
  w: number, h: number, delta2: number, gamma2: number,
): void {
  const s = w + 2;
  const eps2 = EPSILON * EPSILON;
  for (let y = 1; y <= h; y++) {
    for (let i = y * s + 1, end = i + w; i < end; i++) {
      const ix = Ix[i], iy = Iy[i], iz = Iz[i], u = du[i], vv = dv[i];
      // brightness constancy, normalised by the gradient
      let norm = ix * ix + iy * iy + ZETA_SQUARED;
      const r = iz + ix * u + iy * vv;
      let weight = delta2 / Math.sqrt((r * r) / norm + eps2) / norm;
      let a11 = weight * ix * ix + REGULARISATION;
      let a12 = weight * ix * iy;
      let a22 = weight * iy * iy + REGULARISATION;
      let b1 = -weight * iz * ix;
      let b2 = -weight * iz * iy;
      // gradient constancy, each component normalised by its own gradient
      const ixx = Ixx[i], ixy = Ixy[i], iyy = Iyy[i], ixz = Ixz[i], iyz = Iyz[i];
      norm = 1 / (ixx * ixx + ixy * ixy + ZETA_SQUARED);
      const norm2 = 1 / (iyy * iyy + ixy * ixy + ZETA_SQUARED);
      const rx = ixz + ixx * u + ixy * vv;
      const ry = iyz + ixy * u + iyy * vv;
      weight = gamma2 / Math.sqrt(rx * rx * norm + ry * ry * norm2 + eps2);
      a11 += weight * (ixx * ixx * norm + ixy * ixy * norm2);
      a12 += weight * (ixx * ixy * norm + ixy * iyy * norm2);
      a22 += weight * (ixy * ixy * norm + iyy * iyy * norm2);
      b1 -= weight * (ixx * ixz * norm + ixy * iyz * norm2);
      b2 -= weight * (ixy * ixz * norm + iyy * iyz * norm2);
      A11[i] = a11; A12[i] = a12; A22[i] = a22; B1[i] = b1; B2[i] = b2;
    }
  }
}

/**
 * The smoothness term: per pixel a robust weight from the current flow's forward differences; it
 * ties the pixel to its right and lower neighbours. Their diagonal and right-hand-side shares are
 * added to A11, A22, B1, B2; the weights stay in W for the sweeps (0 on links leaving the image).
 */
function smoothnessTerm(
  tu: Float32Array, tv: Float32Array, wu: Float32Array, wv: Float32Array, W: Float32Array,
  A11: Float32Array, A22: Float32Array, B1: Float32Array, B2: Float32Array, w: number, h: number, alpha2: number,
): void {
  const s = w + 2;
  const eps2 = EPSILON * EPSILON;
  for (let y = 1; y <= h; y++) {
    const down = y < h ? s : 0;
    for (let x = 1, i = y * s + 1; x <= w; x++, i++) {
      const right = x < w ? 1 : 0;
      const ux = tu[i + right] - tu[i], vx = tv[i + right] - tv[i];
      const uy = tu[i + down] - tu[i], vy = tv[i + down] - tv[i];
      W[i] = alpha2 / Math.sqrt(ux * ux + vx * vx + uy * uy + vy * vy + eps2);
    }
  }
  // Links to the right (W at the pixel, none from the last column) and down (none from the last row).
  // Horizontal and vertical links share the weight array but differ at the border; the vertical
  // link weight is W[i] for y < h, 0 otherwise, the horizontal one W[i] for x < w.
  for (let y = 1; y <= h; y++) {
    for (let x = 1, i = y * s + 1; x <= w; x++, i++) {
      const wi = W[i];
      if (x < w) {
        const gu = wi * (wu[i + 1] - wu[i]), gv = wi * (wv[i + 1] - wv[i]);
        A11[i] += wi; A22[i] += wi; B1[i] += gu; B2[i] += gv;
        A11[i + 1] += wi; A22[i + 1] += wi; B1[i + 1] -= gu; B2[i + 1] -= gv;
      }
      if (y < h) {
        const gu = wi * (wu[i + s] - wu[i]), gv = wi * (wv[i + s] - wv[i]);
        A11[i] += wi; A22[i] += wi; B1[i] += gu; B2[i] += gv;
        A11[i + s] += wi; A22[i + s] += wi; B1[i + s] -= gu; B2[i + s] -= gv;
      }
    }
  }
}

/** One sweep of successive over-relaxation on the increment (du, dv), in place. */
function sor(A11: Float32Array, A12: Float32Array, A22: Float32Array, B1: Float32Array, B2: Float32Array, W: Float32Array, du: Float32Array, dv: Float32Array, w: number, h: number, omega: number): void {
  const s = w + 2;
  for (let y = 1; y <= h; y++) {
    const last = y * s + w; // the last column has no link to its right
    const bottom = y === h; // the last row has no link down
    for (let i = y * s + 1; i <= last; i++) {
      const wl = W[i - 1], wu = W[i - s];
      const wr = i < last ? W[i] : 0;
      const wd = bottom ? 0 : W[i];
      const su = wl * du[i - 1] + wr * du[i + 1] + wu * du[i - s] + wd * du[i + s];
      const sv = wl * dv[i - 1] + wr * dv[i + 1] + wu * dv[i - s] + wd * dv[i + s];
      let x = du[i];
      x += omega * ((su + B1[i] - A12[i] * dv[i]) / A11[i] - x);
      du[i] = x;
      dv[i] += omega * ((sv + B2[i] - A12[i] * x) / A22[i] - dv[i]);
    }
  }
}
