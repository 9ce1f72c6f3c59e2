// The stage's bicubic warp as it was written in JavaScript before its WebAssembly kernel
// (src/temporal/kernels/warp.as.ts): the reference the kernel must match to the bit. The old code
// line for line, but for where a row of the resized flow comes from: the same resize (warp.ts's
// resizeFlow runs the row resize the old warp ran), done for the whole frame first.
import type { Flow } from '../../src/temporal/image.js';
import { resizeFlow } from '../../src/temporal/warp.js';

export function warpRgbReference(image: Uint8Array | Float32Array, flow: Flow, width = flow.width, height = flow.height, into?: Float32Array): Float32Array {
  const resized = resizeFlow(flow, width, height).data;
  const out = into?.length === width * height * 3 ? into : new Float32Array(width * height * 3);
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    const row = resized.subarray(2 * y * width, 2 * (y + 1) * width);
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
