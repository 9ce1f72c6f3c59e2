// Two flows fused pixel by pixel: each pixel takes the vector whose warp matches its neighbourhood
// better. Farnebäck follows static shots with sensor noise and grain best; DIS with variational
// refinement follows fast motion and fine structure (foliage, a juggler) best; neither alone wins
// on real footage (docs/temporal-method.md, Flow).
import { boxSum, sample, type Flow, type Gray } from './image.js';
import type { FlowMethod } from './motion.js';

/** Radius of the square over which the two flows' matching errors are compared: 5x5 pixels. */
const MATCH_RADIUS = 2;

/** |a(p) − b(p + flow(p))|, summed over the square around each pixel, into `out`. */
function matchingError(a: Gray, b: Gray, flow: Flow, out: Float32Array, scratch: Float32Array): void {
  const { width: w, height: h } = a;
  const f = flow.data;
  for (let y = 0, i = 0; y < h; y++)
    for (let x = 0; x < w; x++, i++) scratch[i] = Math.abs(sample(b.data, w, h, 1, x + f[2 * i], y + f[2 * i + 1], 0) - a.data[i]);
  boxSum(scratch, w, h, MATCH_RADIUS, out);
}

/** A flow method that runs both and keeps, at each pixel, the vector of the better match. */
export function fusedFlow(first: FlowMethod, second: FlowMethod): FlowMethod {
  // Kept from call to call: a video's frames share one size.
  let errorOne = new Float32Array(0), errorTwo = errorOne, scratch = errorOne;
  return (a, b) => {
    const one = first(a, b);
    const two = second(a, b);
    const n = a.width * a.height;
    if (errorOne.length !== n) [errorOne, errorTwo, scratch] = [0, 1, 2].map(() => new Float32Array(n));
    matchingError(a, b, one, errorOne, scratch);
    matchingError(a, b, two, errorTwo, scratch);
    const data = one.data;
    for (let i = 0; i < n; i++) {
      if (errorTwo[i] >= errorOne[i]) continue;
      data[2 * i] = two.data[2 * i];
      data[2 * i + 1] = two.data[2 * i + 1];
    }
    return one;
  };
}
