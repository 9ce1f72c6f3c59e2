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

/** Bilinear sample with clamped edges. */
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

/** Column sums carried down the rows by boxSum, with r replicated edge columns each side; kept from call to call. */
let columnSums = new Float64Array(0);

/**
 * Sum over a (2r+1)² window, edges replicated, in one sweep down the rows: each column's sum over
 * the window's rows is carried from row to row (a row entering, one leaving), and a running sum
 * along those column sums gives the row's windows. The column sums are padded with their edge
 * values, so the running sum needs no clamping. With `channels` > 1, of each channel of an
 * interleaved image.
 */
export function boxSum(src: Float32Array, width: number, height: number, r: number, out: Float32Array, channels = 1): void {
  const span = 2 * r * channels, pad = r * channels, rowLength = width * channels;
  if (columnSums.length < rowLength + span) columnSums = new Float64Array(rowLength + span);
  const columns = columnSums;
  columns.fill(0, 0, rowLength + span);
  for (let y = -r; y <= r; y++) {
    const row = Math.min(Math.max(y, 0), height - 1) * rowLength;
    for (let i = 0; i < rowLength; i++) columns[i + pad] += src[row + i];
  }
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < pad; j++) {
      columns[j] = columns[pad + (j % channels)];
      columns[pad + rowLength + j] = columns[pad + rowLength - channels + (j % channels)];
    }
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let j = c; j < span; j += channels) sum += columns[j];
      for (let i = c, row = y * rowLength; i < rowLength; i += channels) {
        sum += columns[i + span];
        out[row + i] = sum;
        sum -= columns[i];
      }
    }
    const entering = Math.min(y + r + 1, height - 1) * rowLength, leaving = Math.max(y - r, 0) * rowLength;
    for (let i = 0; i < rowLength; i++) columns[i + pad] += src[entering + i] - src[leaving + i];
  }
}

/** The coarsest pyramid level's short side is at least this. */
export const FLOW_MIN_SIZE = 8;

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

/** One scale of an image, with the gradients the least squares needs. */
export interface PyramidLevel {
  image: Gray;
  dx: Float32Array;
  dy: Float32Array;
}

// Each frame takes part in two flows with the frame before it and two with the frame after, in
// both directions: its pyramid is built once and kept as long as the frame itself.
const pyramids = new WeakMap<Gray, { minSize: number; levels: PyramidLevel[] }>();

/** The image halved until its short side would fall under 2·minSize, finest first. */
export function pyramidOf(image: Gray, minSize: number): PyramidLevel[] {
  const cached = pyramids.get(image);
  if (cached?.minSize === minSize) return cached.levels;
  const levels: PyramidLevel[] = [{ image, ...gradients(image) }];
  for (let top = image; Math.min(top.width, top.height) >= 2 * minSize; ) {
    top = halve(top);
    levels.push({ image: top, ...gradients(top) });
  }
  pyramids.set(image, { minSize, levels });
  return levels;
}

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
export function opticalFlow(a: Gray, b: Gray, options: FlowOptions = {}): Flow {
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

/** Where each output coordinate samples a grid `from` cells long when resized to `to` (half-pixel centres, edges clamped). */
export function resizeTaps(from: number, to: number): { low: Int32Array; high: Int32Array; weight: Float32Array } {
  const low = new Int32Array(to), high = new Int32Array(to), weight = new Float32Array(to);
  for (let k = 0; k < to; k++) {
    const at = Math.min(Math.max(((k + 0.5) * from) / to - 0.5, 0), from - 1);
    low[k] = Math.floor(at);
    high[k] = Math.min(low[k] + 1, from - 1);
    weight[k] = at - low[k];
  }
  return { low, high, weight };
}

/** How a flow is resized to width x height: the taps along each axis, and the factors its vectors scale by. */
interface FlowResize {
  across: ReturnType<typeof resizeTaps>;
  down: ReturnType<typeof resizeTaps>;
  scaleX: number;
  scaleY: number;
}

const flowResize = (flow: Flow, width: number, height: number): FlowResize => ({
  across: resizeTaps(flow.width, width),
  down: resizeTaps(flow.height, height),
  scaleX: width / flow.width,
  scaleY: height / flow.height,
});

/** Row y of the resized flow, written as (dx, dy) pairs into out from `offset`. */
function resizedFlowRow(flow: Flow, { across, down, scaleX, scaleY }: FlowResize, y: number, out: Float32Array, offset: number): void {
  const src = flow.data;
  const top = down.low[y] * flow.width, bottom = down.high[y] * flow.width, fy = down.weight[y];
  for (let x = 0, o = offset; x < across.low.length; x++, o += 2) {
    const l = across.low[x], r = across.high[x], fx = across.weight[x];
    const i00 = 2 * (top + l), i01 = 2 * (top + r), i10 = 2 * (bottom + l), i11 = 2 * (bottom + r);
    out[o] = ((src[i00] * (1 - fx) + src[i01] * fx) * (1 - fy) + (src[i10] * (1 - fx) + src[i11] * fx) * fy) * scaleX;
    out[o + 1] = ((src[i00 + 1] * (1 - fx) + src[i01 + 1] * fx) * (1 - fy) + (src[i10 + 1] * (1 - fx) + src[i11 + 1] * fx) * fy) * scaleY;
  }
}

/** The flow resampled bilinearly to another size, vectors scaled with it. */
export function resizeFlow(flow: Flow, width: number, height: number): Flow {
  const resize = flowResize(flow, width, height);
  const data = new Float32Array(width * height * 2);
  for (let y = 0; y < height; y++) resizedFlowRow(flow, resize, y, data, 2 * y * width);
  return { width, height, data };
}

/**
 * image(p + flow(p)) for every p of a width x height frame: an image of b's content brought into
 * a's frame. The flow may be smaller than the frame; it is then resized on the way, bilinearly, as
 * resizeFlow would, without a full-size copy. Bicubic (Catmull-Rom), not bilinear: the temporal
 * stage warps its own output again every frame, and bilinear sampling blurs a little more each
 * time, so blended output went soft and drifted from the stylization.
 */
export function warpRgb(image: Uint8Array | Float32Array, flow: Flow, width = flow.width, height = flow.height, into?: Float32Array): Float32Array {
  const resize = flowResize(flow, width, height);
  const row = new Float32Array(2 * width);
  const out = into?.length === width * height * 3 ? into : new Float32Array(width * height * 3);
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    resizedFlowRow(flow, resize, y, row, 0);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x + row[2 * x], 0), width - 1);
      const sy = Math.min(Math.max(y + row[2 * x + 1], 0), height - 1);
      const x0 = sx | 0, y0 = sy | 0; // sx, sy ≥ 0: truncation is floor
      const tx = sx - x0, ty = sy - y0;
      const tx2 = tx * tx, tx3 = tx2 * tx, ty2 = ty * ty, ty3 = ty2 * ty;
      const wx0 = -0.5 * tx3 + tx2 - 0.5 * tx, wx1 = 1.5 * tx3 - 2.5 * tx2 + 1, wx2 = -1.5 * tx3 + 2 * tx2 + 0.5 * tx, wx3 = 0.5 * tx3 - 0.5 * tx2;
      const wy0 = -0.5 * ty3 + ty2 - 0.5 * ty, wy1 = 1.5 * ty3 - 2.5 * ty2 + 1, wy2 = -1.5 * ty3 + 2 * ty2 + 0.5 * ty, wy3 = 0.5 * ty3 - 0.5 * ty2;
      let red = 0, green = 0, blue = 0;
      if (x0 >= 1 && x0 + 2 < width && y0 >= 1 && y0 + 2 < height) {
        // Inside: the 4x4 neighbourhood is four runs of four pixels, a row apart.
        for (let k = 0, p = ((y0 - 1) * width + x0 - 1) * 3; k < 4; k++, p += stride) {
          const wy = k === 0 ? wy0 : k === 1 ? wy1 : k === 2 ? wy2 : wy3;
          red += wy * (wx0 * image[p] + wx1 * image[p + 3] + wx2 * image[p + 6] + wx3 * image[p + 9]);
          green += wy * (wx0 * image[p + 1] + wx1 * image[p + 4] + wx2 * image[p + 7] + wx3 * image[p + 10]);
          blue += wy * (wx0 * image[p + 2] + wx1 * image[p + 5] + wx2 * image[p + 8] + wx3 * image[p + 11]);
        }
      } else {
        // At the border the neighbourhood is clamped into the image.
        for (let k = 0; k < 4; k++) {
          const wy = k === 0 ? wy0 : k === 1 ? wy1 : k === 2 ? wy2 : wy3;
          const row = Math.min(Math.max(y0 + k - 1, 0), height - 1) * width;
          for (let j = 0; j < 4; j++) {
            const w = wy * (j === 0 ? wx0 : j === 1 ? wx1 : j === 2 ? wx2 : wx3);
            const p = (row + Math.min(Math.max(x0 + j - 1, 0), width - 1)) * 3;
            red += w * image[p];
            green += w * image[p + 1];
            blue += w * image[p + 2];
          }
        }
      }
      const o = 3 * (y * width + x);
      out[o] = red;
      out[o + 1] = green;
      out[o + 2] = blue;
    }
  }
  return out;
}

/**
 * target + share · trust · (image(p + flow(p)) − target) at every pixel p, rounded and clamped to
 * 8 bits: `image` warped as warpRgb warps it, but bilinearly (it is warped once, not again and
 * again: the next frame's stylization brought back for the temporal stage's look-ahead), and mixed
 * into `target` on the way, without a full-size float copy. `trust` is per pixel of the frame.
 */
export function mixWarpedBilinear(target: Uint8Array, image: Uint8Array, flow: Flow, share: number, trust: Float32Array, width: number, height: number): Uint8Array {
  const resize = flowResize(flow, width, height);
  const row = new Float32Array(2 * width);
  const out = new Uint8ClampedArray(width * height * 3); // rounds to nearest
  for (let y = 0, o = 0, p = 0; y < height; y++) {
    resizedFlowRow(flow, resize, y, row, 0);
    for (let x = 0; x < width; x++, o += 3, p++) {
      const w = share * trust[p];
      const sx = Math.min(Math.max(x + row[2 * x], 0), width - 1);
      const sy = Math.min(Math.max(y + row[2 * x + 1], 0), height - 1);
      const x0 = sx | 0, y0 = sy | 0; // sx, sy ≥ 0: truncation is floor
      const tx = sx - x0, ty = sy - y0;
      const p00 = (y0 * width + x0) * 3, p01 = x0 + 1 < width ? p00 + 3 : p00;
      const p10 = y0 + 1 < height ? p00 + 3 * width : p00, p11 = x0 + 1 < width ? p10 + 3 : p10;
      const w00 = (1 - tx) * (1 - ty), w01 = tx * (1 - ty), w10 = (1 - tx) * ty, w11 = tx * ty;
      const r = target[o], g = target[o + 1], b = target[o + 2];
      out[o] = r + w * (w00 * image[p00] + w01 * image[p01] + w10 * image[p10] + w11 * image[p11] - r);
      out[o + 1] = g + w * (w00 * image[p00 + 1] + w01 * image[p01 + 1] + w10 * image[p10 + 1] + w11 * image[p11 + 1] - g);
      out[o + 2] = b + w * (w00 * image[p00 + 2] + w01 * image[p01 + 2] + w10 * image[p10 + 2] + w11 * image[p11 + 2] - b);
    }
  }
  return new Uint8Array(out.buffer);
}
