// Which pixels of frame t can trust frame t-1 warped onto them (Sundaram et al. 2010, as used by
// Ruder et al. 2016): the backward flow must be undone by the forward flow where it lands, and
// the flow must not change sharply (a motion boundary).
import type { Flow } from './image.js';

/**
 * backward: flow from frame t to t-1; forward: flow from t-1 to t. Returns 1 where the warped
 * previous frame is trusted, 0 where it is occluded, disoccluded or on a motion boundary.
 * Thresholds are in the video's pixels; `scale` is how many of those one flow pixel spans. (A flow
 * gradient is a ratio of lengths, so it does not change with the scale; vectors do.) Without
 * `boundaries`, only the round trip is checked.
 */
export function consistencyMask(backward: Flow, forward: Flow, scale = 1, { boundaries = true } = {}): Float32Array {
  const { width, height } = backward;
  const b = backward.data;
  const f = forward.data;
  const mask = new Float32Array(width * height);
  const roundTripSlack = 0.5 / (scale * scale);
  const boundaryShare = 0.01 * scale * scale;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const bx = b[2 * i];
      const by = b[2 * i + 1];
      // The forward flow where the backward flow lands, bilinear, edges clamped.
      const sx = Math.min(Math.max(x + bx, 0), width - 1);
      const sy = Math.min(Math.max(y + by, 0), height - 1);
      const x0 = sx | 0, y0 = sy | 0; // sx, sy ≥ 0: truncation is floor
      const tx = sx - x0, ty = sy - y0;
      const p00 = 2 * (y0 * width + x0);
      const p01 = x0 + 1 < width ? p00 + 2 : p00;
      const p10 = y0 + 1 < height ? p00 + 2 * width : p00;
      const p11 = x0 + 1 < width ? p10 + 2 : p10;
      const fx = (f[p00] * (1 - tx) + f[p01] * tx) * (1 - ty) + (f[p10] * (1 - tx) + f[p11] * tx) * ty;
      const fy = (f[p00 + 1] * (1 - tx) + f[p01 + 1] * tx) * (1 - ty) + (f[p10 + 1] * (1 - tx) + f[p11 + 1] * tx) * ty;
      const roundTrip = (bx + fx) ** 2 + (by + fy) ** 2;
      const occluded = roundTrip > 0.01 * (bx * bx + by * by + fx * fx + fy * fy) + roundTripSlack;
      const right = 2 * (y * width + Math.min(x + 1, width - 1)), below = 2 * (Math.min(y + 1, height - 1) * width + x);
      const dxx = b[right] - bx, dxy = b[right + 1] - by;
      const dyx = b[below] - bx, dyy = b[below + 1] - by;
      const boundary = boundaries && dxx * dxx + dxy * dxy + dyx * dyx + dyy * dyy > boundaryShare * (bx * bx + by * by) + 0.002;
      mask[i] = occluded || boundary ? 0 : 1;
    }
  return mask;
}
