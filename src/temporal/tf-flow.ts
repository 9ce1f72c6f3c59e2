// The same coarse-to-fine Lucas–Kanade as the stability report's (metrics/lucas-kanade.ts), written in TF.js ops, so that where the network
// runs on a GPU (tfjs-node-gpu) the flow runs there too instead of in JS on the main thread.
// Bilinear sampling is four gathers; box sums are average pools over edge-replicated borders.
import * as tf from '@tensorflow/tfjs-core';
import type { Flow, Gray } from './image.js';
import { FLOW_MIN_SIZE } from './pyramid.js';

export interface LucasKanadeOptions {
  /** window radius of the local least squares */
  radius?: number;
  /** refinements per pyramid level */
  iterations?: number;
  /** coarsest level no smaller than this on its short side */
  minSize?: number;
}

type Map2D = tf.Tensor4D; // [1, h, w, channels]

/** Pads by r on every side, repeating the edge pixels (as the JS box sums clamp). */
function padEdges(x: Map2D, r: number): Map2D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const left = tf.tile(tf.slice(x, [0, 0, 0, 0], [-1, h, 1, -1]), [1, 1, r, 1]);
    const right = tf.tile(tf.slice(x, [0, 0, w - 1, 0], [-1, h, 1, -1]), [1, 1, r, 1]);
    const wide = tf.concat([left, x, right], 2);
    const top = tf.tile(tf.slice(wide, [0, 0, 0, 0], [-1, 1, -1, -1]), [1, r, 1, 1]);
    const bottom = tf.tile(tf.slice(wide, [0, h - 1, 0, 0], [-1, 1, -1, -1]), [1, r, 1, 1]);
    return tf.concat([top, wide, bottom], 1) as Map2D;
  });
}

/** Mean over a (2r+1)² window, edges replicated. */
const boxMean = (x: Map2D, r: number): Map2D => tf.tidy(() => tf.avgPool(padEdges(x, r), 2 * r + 1, 1, 'valid') as Map2D);

/** Half central differences along x and y, edges replicated. */
function gradients(x: Map2D): Map2D {
  return tf.tidy(() => {
    const padded = padEdges(x, 1);
    const [, h, w] = x.shape;
    const dx = tf.mul(tf.sub(tf.slice(padded, [0, 1, 2, 0], [1, h, w, 1]), tf.slice(padded, [0, 1, 0, 0], [1, h, w, 1])), 0.5);
    const dy = tf.mul(tf.sub(tf.slice(padded, [0, 2, 1, 0], [1, h, w, 1]), tf.slice(padded, [0, 0, 1, 0], [1, h, w, 1])), 0.5);
    return tf.concat([dx, dy], 3) as Map2D;
  });
}

/** `maps` ([1, h, w, c]) sampled bilinearly at (x + u, y + v), coordinates clamped to the image. */
function sampleAt(maps: Map2D, flow: Map2D): Map2D {
  return tf.tidy(() => {
    const [, h, w, c] = maps.shape;
    const xs = tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w, 1]);
    const ys = tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1, 1]);
    const [u, v] = tf.split(flow, 2, 3);
    const sx = tf.clipByValue(tf.add(xs, u), 0, w - 1);
    const sy = tf.clipByValue(tf.add(ys, v), 0, h - 1);
    const x0 = tf.floor(sx);
    const y0 = tf.floor(sy);
    const fx = tf.sub(sx, x0);
    const fy = tf.sub(sy, y0);
    const x1 = tf.minimum(tf.add(x0, 1), w - 1);
    const y1 = tf.minimum(tf.add(y0, 1), h - 1);
    const table = tf.reshape(maps, [h * w, c]);
    const tap = (yy: tf.Tensor, xx: tf.Tensor) => tf.reshape(tf.gather(table, tf.reshape(tf.cast(tf.add(tf.mul(yy, w), xx), 'int32'), [-1])), [1, h, w, c]);
    const top = tf.add(tf.mul(tap(y0, x0), tf.sub(1, fx)), tf.mul(tap(y0, x1), fx));
    const bottom = tf.add(tf.mul(tap(y1, x0), tf.sub(1, fx)), tf.mul(tap(y1, x1), fx));
    return tf.add(tf.mul(top, tf.sub(1, fy)), tf.mul(bottom, fy)) as Map2D;
  });
}

function refine(a: Map2D, b: Map2D, flow: Map2D, radius: number, iterations: number): Map2D {
  const ga = gradients(a);
  const bAndGradients = tf.concat([b, gradients(b)], 3) as Map2D;
  let current = flow;
  for (let it = 0; it < iterations; it++) {
    const next = tf.tidy(() => {
      const [warped, gbx, gby] = tf.split(sampleAt(bAndGradients, current), 3, 3);
      const [gax, gay] = tf.split(ga, 2, 3);
      const gx = tf.mul(tf.add(gax, gbx), 0.5);
      const gy = tf.mul(tf.add(gay, gby), 0.5);
      const gt = tf.sub(warped, a);
      // Means over the window instead of sums: the solution is the same with λ divided by the area.
      const sums = boxMean(tf.concat([tf.mul(gx, gx), tf.mul(gx, gy), tf.mul(gy, gy), tf.mul(gx, gt), tf.mul(gy, gt)], 3) as Map2D, radius);
      const [sxx, sxy, syy, sxt, syt] = tf.split(sums, 5, 3);
      const a11 = tf.add(sxx, 1e-4);
      const a22 = tf.add(syy, 1e-4);
      const det = tf.sub(tf.mul(a11, a22), tf.mul(sxy, sxy));
      const du = tf.clipByValue(tf.div(tf.add(tf.neg(tf.mul(a22, sxt)), tf.mul(sxy, syt)), det), -1, 1);
      const dv = tf.clipByValue(tf.div(tf.sub(tf.mul(sxy, sxt), tf.mul(a11, syt)), det), -1, 1);
      return tf.add(current, tf.concat([du, dv], 3)) as Map2D;
    });
    if (current !== flow) current.dispose();
    current = next;
  }
  ga.dispose();
  bAndGradients.dispose();
  return current;
}

/** Flow from a to b, as opticalFlow in flow.ts computes it, on the active TF.js backend. */
export function opticalFlowTf(a: Gray, b: Gray, options: LucasKanadeOptions = {}): Flow {
  const radius = options.radius ?? 4;
  const iterations = options.iterations ?? 3;
  const minSize = options.minSize ?? FLOW_MIN_SIZE;
  const result = tf.tidy(() => {
    const pyramidA: Map2D[] = [tf.tensor4d(a.data, [1, a.height, a.width, 1])];
    const pyramidB: Map2D[] = [tf.tensor4d(b.data, [1, b.height, b.width, 1])];
    while (Math.min(pyramidA.at(-1)!.shape[1], pyramidA.at(-1)!.shape[2]) >= 2 * minSize) {
      pyramidA.push(tf.avgPool(pyramidA.at(-1)!, 2, 2, 'valid') as Map2D);
      pyramidB.push(tf.avgPool(pyramidB.at(-1)!, 2, 2, 'valid') as Map2D);
    }
    let flow: Map2D | undefined;
    for (let level = pyramidA.length - 1; level >= 0; level--) {
      const [, h, w] = pyramidA[level].shape;
      let start: Map2D;
      if (flow) {
        const [, ph, pw] = flow.shape;
        start = tf.mul(tf.image.resizeBilinear(flow, [h, w], false, true), tf.tensor1d([w / pw, h / ph])) as Map2D;
      } else {
        start = tf.zeros([1, h, w, 2]);
      }
      const refined = refine(pyramidA[level], pyramidB[level], start, radius, iterations);
      // A 3x3 mean: local least squares leaves pixel noise that reads as motion boundaries.
      flow = boxMean(refined, 1);
    }
    return flow!;
  });
  const data = result.dataSync() as Float32Array;
  result.dispose();
  return { width: a.width, height: a.height, data: new Float32Array(data) };
}
