// Image pyramids with their gradients, for the coarse-to-fine flows (DIS, Lucas–Kanade).
import { halve, type Gray } from './image.js';

/** The coarsest pyramid level's short side is at least this. */
export const FLOW_MIN_SIZE = 8;

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
