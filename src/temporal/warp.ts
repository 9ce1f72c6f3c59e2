// Warping: a frame brought along a flow (resized to the frame's size on the way), bicubic for the
// stage's own output (a WebAssembly kernel), bilinear for the look-ahead's single warp.
import { resizeTaps, type Flow } from './image.js';
import { warpBicubic, type FlowResize } from './kernels/index.js';

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
 * time, so blended output went soft and drifted from the stylization. A WebAssembly kernel
 * (kernels/warp.as.ts): the same arithmetic as the JavaScript it replaced, two lanes at a time.
 */
export function warpRgb(image: Uint8Array | Float32Array, flow: Flow, width = flow.width, height = flow.height, into?: Float32Array): Float32Array {
  return warpBicubic(image, flow, flowResize(flow, width, height), width, height, into);
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
