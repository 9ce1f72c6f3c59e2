// The fine band the research variants of the temporal stage work on, and its single-channel
// bicubic resample (docs/temporal-detail.md, Choosing, carrying, filtering apart).
export { fineLuma } from '../image.js';

/** A single-channel image sampled at (map[2p], map[2p+1]) for every p, Catmull-Rom, edges clamped. */
export function bicubicSample(image: Float32Array, width: number, height: number, map: Float32Array, into: Float32Array): Float32Array {
  for (let p = 0, n = width * height; p < n; p++) {
    const sx = Math.min(Math.max(map[2 * p], 0), width - 1), sy = Math.min(Math.max(map[2 * p + 1], 0), height - 1);
    const x0 = sx | 0, y0 = sy | 0;
    const tx = sx - x0, ty = sy - y0;
    let total = 0;
    for (let k = -1; k <= 2; k++) {
      const wy = catmullRom(k, ty);
      const row = Math.min(Math.max(y0 + k, 0), height - 1) * width;
      for (let j = -1; j <= 2; j++) total += wy * catmullRom(j, tx) * image[row + Math.min(Math.max(x0 + j, 0), width - 1)];
    }
    into[p] = total;
  }
  return into;
}

/** The Catmull-Rom weight of tap j (−1..2) at fraction t. */
function catmullRom(j: number, t: number): number {
  const t2 = t * t, t3 = t2 * t;
  if (j === -1) return -0.5 * t3 + t2 - 0.5 * t;
  if (j === 0) return 1.5 * t3 - 2.5 * t2 + 1;
  if (j === 1) return -1.5 * t3 + 2 * t2 + 0.5 * t;
  return 0.5 * t3 - 0.5 * t2;
}
