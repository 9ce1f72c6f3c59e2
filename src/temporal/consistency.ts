// Which pixels of frame t can trust frame t-1 warped onto them (Sundaram et al. 2010, as used by
// Ruder et al. 2016): the backward flow must be undone by the forward flow where it lands, and
// the flow must not change sharply (a motion boundary).
import { sample, type Flow } from './flow.js';

/**
 * backward: flow from frame t to t-1; forward: flow from t-1 to t. Returns 1 where the warped
 * previous frame is trusted, 0 where it is occluded, disoccluded or on a motion boundary.
 */
export function consistencyMask(backward: Flow, forward: Flow): Float32Array {
  const { width, height } = backward;
  const b = backward.data;
  const mask = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const bx = b[2 * i];
      const by = b[2 * i + 1];
      const fx = sample(forward.data, width, height, 2, x + bx, y + by, 0);
      const fy = sample(forward.data, width, height, 2, x + bx, y + by, 1);
      const roundTrip = (bx + fx) ** 2 + (by + fy) ** 2;
      const occluded = roundTrip > 0.01 * (bx * bx + by * by + fx * fx + fy * fy) + 0.5;
      const xr = Math.min(x + 1, width - 1), yd = Math.min(y + 1, height - 1);
      const dxx = b[2 * (y * width + xr)] - bx, dxy = b[2 * (y * width + xr) + 1] - by;
      const dyx = b[2 * (yd * width + x)] - bx, dyy = b[2 * (yd * width + x) + 1] - by;
      const boundary = dxx * dxx + dxy * dxy + dyx * dyx + dyy * dyy > 0.01 * (bx * bx + by * by) + 0.002;
      mask[i] = occluded || boundary ? 0 : 1;
    }
  return mask;
}
