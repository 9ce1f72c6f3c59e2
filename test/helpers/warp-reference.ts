// The stage's bicubic warp as it was written in JavaScript before its WebAssembly kernel
// (src/temporal/kernels/warp.as.ts): the reference the kernel must match to the bit. The flow is
// resized to the frame's size first, by resizeFlow, where the kernel resizes it row by row.
import type { Flow } from '../../src/temporal/image.js';
import { resizeFlow } from '../../src/temporal/warp.js';

export function warpRgbReference(image: Uint8Array | Float32Array, flow: Flow, width = flow.width, height = flow.height): Float32Array {
  const full = resizeFlow(flow, width, height).data;
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const f = 2 * (y * width + x);
      const sx = Math.min(Math.max(x + full[f], 0), width - 1);
      const sy = Math.min(Math.max(y + full[f + 1], 0), height - 1);
      const x0 = sx | 0, y0 = sy | 0;
      const tx = sx - x0, ty = sy - y0;
      const tx2 = tx * tx, tx3 = tx2 * tx, ty2 = ty * ty, ty3 = ty2 * ty;
      const wx = [-0.5 * tx3 + tx2 - 0.5 * tx, 1.5 * tx3 - 2.5 * tx2 + 1, -1.5 * tx3 + 2 * tx2 + 0.5 * tx, 0.5 * tx3 - 0.5 * tx2];
      const wy = [-0.5 * ty3 + ty2 - 0.5 * ty, 1.5 * ty3 - 2.5 * ty2 + 1, -1.5 * ty3 + 2 * ty2 + 0.5 * ty, 0.5 * ty3 - 0.5 * ty2];
      const inside = x0 >= 1 && x0 + 2 < width && y0 >= 1 && y0 + 2 < height;
      let red = 0, green = 0, blue = 0;
      for (let k = 0; k < 4; k++) {
        const row = Math.min(Math.max(y0 + k - 1, 0), height - 1) * width;
        if (inside) {
          // a row's four taps summed first, then weighted by the row's weight
          const p = (row + x0 - 1) * 3;
          red += wy[k] * (wx[0] * image[p] + wx[1] * image[p + 3] + wx[2] * image[p + 6] + wx[3] * image[p + 9]);
          green += wy[k] * (wx[0] * image[p + 1] + wx[1] * image[p + 4] + wx[2] * image[p + 7] + wx[3] * image[p + 10]);
          blue += wy[k] * (wx[0] * image[p + 2] + wx[1] * image[p + 5] + wx[2] * image[p + 8] + wx[3] * image[p + 11]);
          continue;
        }
        for (let j = 0; j < 4; j++) {
          const w = wy[k] * wx[j];
          const p = (row + Math.min(Math.max(x0 + j - 1, 0), width - 1)) * 3;
          red += w * image[p];
          green += w * image[p + 1];
          blue += w * image[p + 2];
        }
      }
      out[3 * (y * width + x)] = red;
      out[3 * (y * width + x) + 1] = green;
      out[3 * (y * width + x) + 2] = blue;
    }
  }
  return out;
}
