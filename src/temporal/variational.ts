// Variational refinement of a dense flow, as the last step of each scale of DIS (dis-flow.ts):
// the flow W is corrected by dW minimising, per pixel,
//   δ·Ψ(brightness constancy) + γ·Ψ(gradient constancy) + α·Ψ(|∇(W + dW)|²)
// with Ψ(s²) = √(s² + ε²), both constancy terms linearised around b warped by W and normalised by
// the local gradient (Zimmer et al.), as in Brox et al. / OpenCV's VariationalRefinement. Each
// fixed-point step freezes the robust weights and solves the linear system by a few sweeps of
// successive over-relaxation. One job only: it does not know about pyramids or patches.
import type { Gray } from './image.js';

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
 * which link weights stay 0, so that the sweeps need no tests at the border.
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
    this.arrays = Array.from({ length: 22 }, () => new Float32Array(capacity));
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
  const [Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz, A11, A12, A22, B1, B2, du, dv, WR, WD, wu, wv, tu, tv, avg] = scratch.arrays;
  // Increments start at 0; link weights are 0 in the frame (the left column and top row are read).
  du.fill(0, 0, size);
  dv.fill(0, 0, size);
  WR.fill(0, 0, s);
  WD.fill(0, 0, s);
  for (let y = 1; y <= h + 1; y++) WR[y * s] = WD[y * s] = WR[y * s - 1] = WD[y * s - 1] = 0;
  prepare(a, b, u, v, avg, Iz, wu, wv);
  derivatives(avg, Ix, Iy, w, h);
  const withGradient = options.gamma > 0;
  if (withGradient) {
    derivatives(Iz, Ixz, Iyz, w, h);
    derivatives(Ix, Ixx, Ixy, w, h);
    derivativeY(Iy, Iyy, w, h);
  }
  const Iyx = avg; // the mean image is no longer needed: it holds Ixy normalised for the second row
  normalise(Ix, Iy, Iz, Ixx, Ixy, Ixz, Iyx, Iyy, Iyz, w, h, withGradient);
  tu.set(wu.subarray(0, size));
  tv.set(wv.subarray(0, size));
  const omega = options.omega ?? 1.6;
  for (let k = 0; k < options.iterations; k++) {
    smoothnessWeights(tu, tv, WR, WD, w, h, options.alpha / 2);
    system(Ix, Iy, Iz, Ixx, Ixy, Ixz, Iyx, Iyy, Iyz, du, dv, wu, wv, WR, WD, A11, A12, A22, B1, B2, w, h, options.delta / 2, options.gamma / 2, withGradient);
    for (let sweep = 0; sweep < options.sorIterations; sweep++) sor(A11, A12, A22, B1, B2, WR, WD, du, dv, w, h, omega);
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
    // the frame around the flow: finite values (they meet only zero weights)
    wu[(y + 1) * s] = wu[(y + 1) * s + w + 1] = wv[(y + 1) * s] = wv[(y + 1) * s + w + 1] = 0;
  }
  wu.fill(0, 0, s);
  wv.fill(0, 0, s);
  wu.fill(0, (h + 1) * s, (h + 2) * s);
  wv.fill(0, (h + 1) * s, (h + 2) * s);
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

/**
 * The smoothness term's robust weight per pixel, from the current flow's forward differences (edges
 * replicated). It weighs the link to the right neighbour (WR, 0 from the last column) and the one
 * to the neighbour below (WD, 0 from the last row).
 */
function smoothnessWeights(tu: Float32Array, tv: Float32Array, WR: Float32Array, WD: Float32Array, w: number, h: number, alpha2: number): void {
  const s = w + 2;
  const eps2 = EPSILON * EPSILON;
  for (let y = 1; y <= h; y++) {
    const down = y < h ? s : 0;
    const last = y * s + w;
    for (let i = y * s + 1; i <= last; i++) {
      const right = i < last ? 1 : 0;
      const ux = tu[i + right] - tu[i], vx = tv[i + right] - tv[i];
      const uy = tu[i + down] - tu[i], vy = tv[i + down] - tv[i];
      const weight = alpha2 / Math.sqrt(ux * ux + vx * vx + uy * uy + vy * vy + eps2);
      WR[i] = right ? weight : 0;
      WD[i] = down ? weight : 0;
    }
  }
}

/**
 * Each constancy term's row of derivatives (∂x, ∂y, ∂t) divided by the norm of its spatial part
 * (plus ζ²), in place: brightness (Ix, Iy, Iz), the x-gradient (Ixx, Ixy, Ixz), the y-gradient
 * (Iyx, Iyy, Iyz; Iyx receives Ixy). The fixed-point steps then need no divisions for it.
 */
function normalise(Ix: Float32Array, Iy: Float32Array, Iz: Float32Array, Ixx: Float32Array, Ixy: Float32Array, Ixz: Float32Array, Iyx: Float32Array, Iyy: Float32Array, Iyz: Float32Array, w: number, h: number, withGradient: boolean): void {
  const s = w + 2;
  for (let y = 1; y <= h; y++) {
    for (let i = y * s + 1, end = i + w; i < end; i++) {
      const ix = Ix[i], iy = Iy[i];
      let n = 1 / Math.sqrt(ix * ix + iy * iy + ZETA_SQUARED);
      Ix[i] = ix * n; Iy[i] = iy * n; Iz[i] *= n;
      if (!withGradient) continue;
      const ixx = Ixx[i], ixy = Ixy[i], iyy = Iyy[i];
      n = 1 / Math.sqrt(ixx * ixx + ixy * ixy + ZETA_SQUARED);
      Ixx[i] = ixx * n; Ixy[i] = ixy * n; Ixz[i] *= n;
      n = 1 / Math.sqrt(ixy * ixy + iyy * iyy + ZETA_SQUARED);
      Iyx[i] = ixy * n; Iyy[i] = iyy * n; Iyz[i] *= n;
    }
  }
}

/**
 * The 2x2 system per pixel for the increment: data terms (normalised rows, see normalise) with
 * robust weights at the current increment, plus the smoothness links' share of the diagonal and
 * right-hand side. A11 and A22 receive the inverses of the full diagonals, which is what the
 * sweeps need.
 */
function system(
  Ix: Float32Array, Iy: Float32Array, Iz: Float32Array, Ixx: Float32Array, Ixy: Float32Array, Ixz: Float32Array, Iyx: Float32Array, Iyy: Float32Array, Iyz: Float32Array,
  du: Float32Array, dv: Float32Array, wu: Float32Array, wv: Float32Array, WR: Float32Array, WD: Float32Array,
  A11: Float32Array, A12: Float32Array, A22: Float32Array, B1: Float32Array, B2: Float32Array,
  w: number, h: number, delta2: number, gamma2: number, withGradient: boolean,
): void {
  const s = w + 2;
  const eps2 = EPSILON * EPSILON;
  for (let y = 1; y <= h; y++) {
    for (let i = y * s + 1, end = i + w; i < end; i++) {
      const u = du[i], v = dv[i];
      // brightness constancy
      const ix = Ix[i], iy = Iy[i], iz = Iz[i];
      const r = iz + ix * u + iy * v;
      let weight = delta2 / Math.sqrt(r * r + eps2);
      let a11 = weight * ix * ix + REGULARISATION;
      let a12 = weight * ix * iy;
      let a22 = weight * iy * iy + REGULARISATION;
      let b1 = -weight * iz * ix;
      let b2 = -weight * iz * iy;
      if (withGradient) {
        // gradient constancy
        const xx = Ixx[i], xy = Ixy[i], xz = Ixz[i], yx = Iyx[i], yy = Iyy[i], yz = Iyz[i];
        const rx = xz + xx * u + xy * v;
        const ry = yz + yx * u + yy * v;
        weight = gamma2 / Math.sqrt(rx * rx + ry * ry + eps2);
        a11 += weight * (xx * xx + yx * yx);
        a12 += weight * (xx * xy + yx * yy);
        a22 += weight * (xy * xy + yy * yy);
        b1 -= weight * (xx * xz + yx * yz);
        b2 -= weight * (xy * xz + yy * yz);
      }
      // smoothness: links to the four neighbours pull the flow W + dW towards theirs
      const wl = WR[i - 1], wr = WR[i], wt = WD[i - s], wb = WD[i];
      const cu = wu[i], cv = wv[i];
      b1 += wr * (wu[i + 1] - cu) - wl * (cu - wu[i - 1]) + wb * (wu[i + s] - cu) - wt * (cu - wu[i - s]);
      b2 += wr * (wv[i + 1] - cv) - wl * (cv - wv[i - 1]) + wb * (wv[i + s] - cv) - wt * (cv - wv[i - s]);
      const links = wl + wr + wt + wb;
      A11[i] = 1 / (a11 + links); A12[i] = a12; A22[i] = 1 / (a22 + links); B1[i] = b1; B2[i] = b2;
    }
  }
}

/** One sweep of successive over-relaxation on the increment (du, dv), in place; A11, A22 hold inverse diagonals. */
function sor(A11: Float32Array, A12: Float32Array, A22: Float32Array, B1: Float32Array, B2: Float32Array, WR: Float32Array, WD: Float32Array, du: Float32Array, dv: Float32Array, w: number, h: number, omega: number): void {
  const s = w + 2;
  for (let y = 1; y <= h; y++) {
    let i = y * s + 1;
    // the left neighbour's weight and values, and the pixel's own, carried along the row
    let wl = WR[i - 1], ul = du[i - 1], vl = dv[i - 1], uc = du[i], vc = dv[i];
    for (const end = i + w; i < end; i++) {
      const wr = WR[i], wt = WD[i - s], wb = WD[i];
      const ur = du[i + 1], vr = dv[i + 1];
      const su = wl * ul + wr * ur + wt * du[i - s] + wb * du[i + s];
      const sv = wl * vl + wr * vr + wt * dv[i - s] + wb * dv[i + s];
      const a12 = A12[i];
      const x = uc + omega * ((su + B1[i] - a12 * vc) * A11[i] - uc);
      const z = vc + omega * ((sv + B2[i] - a12 * x) * A22[i] - vc);
      du[i] = x;
      dv[i] = z;
      wl = wr; ul = x; vl = z; uc = ur; vc = vr;
    }
  }
}
