// Dense optical flow: coarse-to-fine Lucas–Kanade with iterative warping, on grey images.
// flow(a, b) gives, for every pixel p of a, the displacement d with a(p) ≈ b(p + d).

export interface Gray {
  width: number;
  height: number;
  data: Float32Array; // 0..1
}

export interface Flow {
  width: number;
  height: number;
  /** interleaved (dx, dy) per pixel */
  data: Float32Array;
}

export function toGray(rgb: Uint8Array, width: number, height: number): Gray {
  const data = new Float32Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 3) data[i] = (0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2]) / 255;
  return { width, height, data };
}

/** Halves an image with a 2x2 box (odd edges folded in). */
export function halve(image: Gray): Gray {
  const width = Math.max(1, image.width >> 1);
  const height = Math.max(1, image.height >> 1);
  const data = new Float32Array(width * height);
  const src = image.data;
  const w = image.width;
  for (let y = 0; y < height; y++) {
    const y0 = Math.min(2 * y, image.height - 1);
    const y1 = Math.min(2 * y + 1, image.height - 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.min(2 * x, w - 1);
      const x1 = Math.min(2 * x + 1, w - 1);
      data[y * width + x] = 0.25 * (src[y0 * w + x0] + src[y0 * w + x1] + src[y1 * w + x0] + src[y1 * w + x1]);
    }
  }
  return { width, height, data };
}

/** The four neighbours of a bilinear sample and their weights; filled in place, as it runs per pixel. */
export interface BilinearTaps {
  p00: number; p01: number; p10: number; p11: number;
  w00: number; w01: number; w10: number; w11: number;
}

export const newTaps = (): BilinearTaps => ({ p00: 0, p01: 0, p10: 0, p11: 0, w00: 0, w01: 0, w10: 0, w11: 0 });

/** The taps of a bilinear sample at (x, y) of a width x height grid, edges clamped. */
export function bilinearTaps(width: number, height: number, x: number, y: number, taps: BilinearTaps): BilinearTaps {
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  taps.p00 = y0 * width + x0;
  taps.p01 = y0 * width + x1;
  taps.p10 = y1 * width + x0;
  taps.p11 = y1 * width + x1;
  taps.w00 = (1 - fx) * (1 - fy);
  taps.w01 = fx * (1 - fy);
  taps.w10 = (1 - fx) * fy;
  taps.w11 = fx * fy;
  return taps;
}

/**
 * Bilinear sample with clamped edges. The same arithmetic as bilinearTaps, kept apart on purpose:
 * written through a taps object it ran twice as slow in the flow resizing and the mask.
 */
export function sample(data: Float32Array | Uint8Array, width: number, height: number, channels: number, x: number, y: number, c: number): number {
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const a = data[(y0 * width + x0) * channels + c];
  const b = data[(y0 * width + x1) * channels + c];
  const d = data[(y1 * width + x0) * channels + c];
  const e = data[(y1 * width + x1) * channels + c];
  return (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
}

/** Sum over a (2r+1)² window, by running sums along rows then columns. */
export function boxSum(src: Float32Array, width: number, height: number, r: number, out: Float32Array, tmp: Float32Array): void {
  for (let y = 0; y < height; y++) {
    let acc = 0;
    const row = y * width;
    for (let x = -r; x <= r; x++) acc += src[row + Math.min(Math.max(x, 0), width - 1)];
    for (let x = 0; x < width; x++) {
      tmp[row + x] = acc;
      acc += src[row + Math.min(x + r + 1, width - 1)] - src[row + Math.max(x - r, 0)];
    }
  }
  for (let x = 0; x < width; x++) {
    let acc = 0;
    for (let y = -r; y <= r; y++) acc += tmp[Math.min(Math.max(y, 0), height - 1) * width + x];
    for (let y = 0; y < height; y++) {
      out[y * width + x] = acc;
      acc += tmp[Math.min(y + r + 1, height - 1) * width + x] - tmp[Math.max(y - r, 0) * width + x];
    }
  }
}

export interface FlowOptions {
  /** window radius of the local least squares */
  radius?: number;
  /** refinements per pyramid level */
  iterations?: number;
  /** coarsest level no smaller than this on its short side */
  minSize?: number;
}

/** Central differences along x and y, halved, with edges clamped. */
function gradients(image: Gray): { dx: Float32Array; dy: Float32Array } {
  const { width, height, data } = image;
  const dx = new Float32Array(width * height);
  const dy = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const up = Math.max(y - 1, 0) * width;
    const down = Math.min(y + 1, height - 1) * width;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      dx[i] = 0.5 * (data[y * width + Math.min(x + 1, width - 1)] - data[y * width + Math.max(x - 1, 0)]);
      dy[i] = 0.5 * (data[down + x] - data[up + x]);
    }
  }
  return { dx, dy };
}

function refine(a: Gray, b: Gray, flow: Float32Array, radius: number, iterations: number): void {
  const { width, height } = a;
  const n = width * height;
  const ixx = new Float32Array(n), ixy = new Float32Array(n), iyy = new Float32Array(n), ixt = new Float32Array(n), iyt = new Float32Array(n);
  const sxx = new Float32Array(n), sxy = new Float32Array(n), syy = new Float32Array(n), sxt = new Float32Array(n), syt = new Float32Array(n);
  const tmp = new Float32Array(n);
  const A = a.data;
  const B = b.data;
  // b's gradients sampled where the flow points: bilinear sampling commutes with differencing, so
  // this is b's gradient at the warped position, for one set of weights instead of five samples.
  const ga = gradients(a);
  const gb = gradients(b);
  const taps = newTaps();
  for (let it = 0; it < iterations; it++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const { p00, p01, p10, p11, w00, w01, w10, w11 } = bilinearTaps(width, height, x + flow[2 * i], y + flow[2 * i + 1], taps);
        const warped = w00 * B[p00] + w01 * B[p01] + w10 * B[p10] + w11 * B[p11];
        // Gradients of the mean of both images: symmetric, and robust to a little misalignment.
        const gx = 0.5 * (ga.dx[i] + w00 * gb.dx[p00] + w01 * gb.dx[p01] + w10 * gb.dx[p10] + w11 * gb.dx[p11]);
        const gy = 0.5 * (ga.dy[i] + w00 * gb.dy[p00] + w01 * gb.dy[p01] + w10 * gb.dy[p10] + w11 * gb.dy[p11]);
        const gt = warped - A[i];
        ixx[i] = gx * gx; ixy[i] = gx * gy; iyy[i] = gy * gy; ixt[i] = gx * gt; iyt[i] = gy * gt;
      }
    }
    boxSum(ixx, width, height, radius, sxx, tmp);
    boxSum(ixy, width, height, radius, sxy, tmp);
    boxSum(iyy, width, height, radius, syy, tmp);
    boxSum(ixt, width, height, radius, sxt, tmp);
    boxSum(iyt, width, height, radius, syt, tmp);
    const area = (2 * radius + 1) ** 2;
    const lambda = 1e-4 * area; // keeps flat regions from exploding; they keep the coarse estimate
    for (let i = 0; i < n; i++) {
      const a11 = sxx[i] + lambda, a12 = sxy[i], a22 = syy[i] + lambda;
      const det = a11 * a22 - a12 * a12;
      const du = (-a22 * sxt[i] + a12 * syt[i]) / det;
      const dv = (a12 * sxt[i] - a11 * syt[i]) / det;
      flow[2 * i] += Math.max(-1, Math.min(1, du));
      flow[2 * i + 1] += Math.max(-1, Math.min(1, dv));
    }
  }
}

/** A 3x3 mean of each component: local least squares leaves pixel noise that reads as motion boundaries. */
function smoothFlow(flow: Float32Array, width: number, height: number): void {
  const n = width * height;
  const component = new Float32Array(n);
  const out = new Float32Array(n);
  const tmp = new Float32Array(n);
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) component[i] = flow[2 * i + c];
    boxSum(component, width, height, 1, out, tmp);
    for (let i = 0; i < n; i++) flow[2 * i + c] = out[i] / 9;
  }
}

/** Flow from a to b (same size). */
export function opticalFlow(a: Gray, b: Gray, options: FlowOptions = {}): Flow {
  const radius = options.radius ?? 4;
  const iterations = options.iterations ?? 3;
  const minSize = options.minSize ?? 8;
  const pyramidA = [a];
  const pyramidB = [b];
  while (Math.min(pyramidA.at(-1)!.width, pyramidA.at(-1)!.height) >= 2 * minSize) {
    pyramidA.push(halve(pyramidA.at(-1)!));
    pyramidB.push(halve(pyramidB.at(-1)!));
  }
  let flow: Float32Array | undefined;
  let prev: Gray | undefined;
  for (let level = pyramidA.length - 1; level >= 0; level--) {
    const la = pyramidA[level];
    const next = new Float32Array(la.width * la.height * 2);
    if (flow && prev) {
      const sx = la.width / prev.width;
      const sy = la.height / prev.height;
      for (let y = 0; y < la.height; y++)
        for (let x = 0; x < la.width; x++) {
          const i = y * la.width + x;
          next[2 * i] = sample(flow, prev.width, prev.height, 2, (x + 0.5) / sx - 0.5, (y + 0.5) / sy - 0.5, 0) * sx;
          next[2 * i + 1] = sample(flow, prev.width, prev.height, 2, (x + 0.5) / sx - 0.5, (y + 0.5) / sy - 0.5, 1) * sy;
        }
    }
    refine(la, pyramidB[level], next, radius, iterations);
    smoothFlow(next, la.width, la.height);
    flow = next;
    prev = la;
  }
  return { width: a.width, height: a.height, data: flow! };
}

/** The flow resampled to another size, vectors scaled with it. */
export function resizeFlow(flow: Flow, width: number, height: number): Flow {
  const sx = width / flow.width;
  const sy = height / flow.height;
  const data = new Float32Array(width * height * 2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const fx = (x + 0.5) / sx - 0.5;
      const fy = (y + 0.5) / sy - 0.5;
      const i = y * width + x;
      data[2 * i] = sample(flow.data, flow.width, flow.height, 2, fx, fy, 0) * sx;
      data[2 * i + 1] = sample(flow.data, flow.width, flow.height, 2, fx, fy, 1) * sy;
    }
  return { width, height, data };
}

/** Catmull-Rom weights for a fractional offset t in [0, 1), taps at -1, 0, 1, 2. */
function cubicWeights(t: number, w: Float64Array): void {
  const t2 = t * t, t3 = t2 * t;
  w[0] = -0.5 * t3 + t2 - 0.5 * t;
  w[1] = 1.5 * t3 - 2.5 * t2 + 1;
  w[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
  w[3] = 0.5 * t3 - 0.5 * t2;
}

/**
 * image(p + flow(p)) for every p: an image of b's content brought into a's frame. Bicubic, not
 * bilinear: the temporal stage warps its own output again every frame, and bilinear sampling
 * blurs a little more each time, so blended output went soft and drifted from the stylization.
 */
export function warpRgb(image: Uint8Array | Float32Array, flow: Flow): Float32Array {
  const { width, height } = flow;
  const out = new Float32Array(width * height * 3);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const offsets = new Int32Array(16);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const sx = Math.min(Math.max(x + flow.data[2 * i], 0), width - 1);
      const sy = Math.min(Math.max(y + flow.data[2 * i + 1], 0), height - 1);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      cubicWeights(sx - x0, wx);
      cubicWeights(sy - y0, wy);
      // The 4x4 neighbourhood's offsets, clamped at the edges, computed once for all three channels.
      for (let ky = 0; ky < 4; ky++) {
        const row = Math.min(Math.max(y0 + ky - 1, 0), height - 1) * width;
        for (let kx = 0; kx < 4; kx++) offsets[ky * 4 + kx] = (row + Math.min(Math.max(x0 + kx - 1, 0), width - 1)) * 3;
      }
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < 16; k++) {
        const w = wy[k >> 2] * wx[k & 3];
        const o = offsets[k];
        r += w * image[o];
        g += w * image[o + 1];
        b += w * image[o + 2];
      }
      out[3 * i] = r;
      out[3 * i + 1] = g;
      out[3 * i + 2] = b;
    }
  return out;
}
