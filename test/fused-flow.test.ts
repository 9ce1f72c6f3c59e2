// The fused flow against a motion the test makes itself: each of two candidate flows is right on
// one half of the picture only, so the truth says which vector every pixel must take.
import { describe, expect, it } from 'vitest';
import { fusedFlow } from '../src/temporal/fused-flow.js';
import type { Flow, Gray } from '../src/temporal/image.js';

const W = 96;
const H = 64;
const SHIFT = [2, 1] as const;

function texture(x: number, y: number): number {
  let v = 0.5;
  for (let k = 1; k <= 5; k++) v += (0.25 / k) * Math.sin(x * 0.21 * k + k * 1.3) * Math.cos(y * 0.17 * k - k);
  return v;
}

function picture(dx: number, dy: number): Gray {
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = texture(x + dx, y + dy);
  return { width: W, height: H, data };
}

/** The true flow where `right(x)` holds, a wrong one (zero) elsewhere. */
const halfRight = (right: (x: number) => boolean) => (): Flow => {
  const data = new Float32Array(W * H * 2);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      if (!right(x)) continue;
      data[2 * (y * W + x)] = SHIFT[0];
      data[2 * (y * W + x) + 1] = SHIFT[1];
    }
  return { width: W, height: H, data };
};

describe('fused flow', () => {
  it('takes at each pixel the candidate that is right there', () => {
    // a(p) = b(p + shift): b is a moved by −shift.
    const a = picture(0, 0);
    const b = picture(-SHIFT[0], -SHIFT[1]);
    const flow = fusedFlow(halfRight((x) => x < W / 2), halfRight((x) => x >= W / 2))(a, b);
    let wrong = 0;
    for (let y = 4; y < H - 4; y++)
      for (let x = 4; x < W - 4; x++) {
        if (Math.abs(x - W / 2) <= 3) continue; // the seam: the comparison window straddles both halves
        const i = y * W + x;
        if (Math.hypot(flow.data[2 * i] - SHIFT[0], flow.data[2 * i + 1] - SHIFT[1]) > 1e-6) wrong++;
      }
    expect(wrong).toBe(0);
  });
});
