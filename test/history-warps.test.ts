// The research kernels for the warp of the temporal stage's history (src/temporal/research/history-warps.ts),
// against what interpolation must give: the pixels themselves at whole-pixel displacements, and a
// linear ramp's own values between pixels (bilinear and the cubic B-splines reproduce a straight
// line exactly, the interpolating B-spline but for its coefficients' edge effect; Keys' cubic at
// a ≠ −0.5 and Lanczos only nearly: Keys 1981).
import { describe, expect, it } from 'vitest';
import { HISTORY_WARPS, warpHistory } from '../src/temporal/research/history-warps.js';

const W = 24, H = 16;
const uniformFlow = (dx: number, dy: number) => ({ width: W, height: H, data: Float32Array.from({ length: W * H * 2 }, (_, i) => (i % 2 ? dy : dx)) });

describe('history warps (research)', () => {
  const image = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 97 + ((i * i) % 13) * 11) % 256);
  const ramp = Float32Array.from({ length: W * H * 3 }, (_, i) => {
    const p = Math.floor(i / 3), x = p % W, y = Math.floor(p / W);
    return 3 * x + 2 * y + (i % 3) * 10;
  });

  for (const kind of HISTORY_WARPS) {
    it(`${kind}: whole-pixel displacements give the pixels, interpolating kernels exactly`, () => {
      const out = warpHistory(kind, image, uniformFlow(2, 1), W, H);
      let worst = 0;
      for (let y = 4; y < H - 4; y++)
        for (let x = 4; x < W - 4; x++)
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out[3 * (y * W + x) + c] - image[3 * ((y + 1) * W + x + 2) + c]));
      // the smoothing B-spline blurs (it does not pass through the pixels); the others interpolate
      if (kind === 'bsmooth') expect(worst).toBeGreaterThan(1);
      else expect(worst).toBeLessThan(1e-3);
    });

    it(`${kind}: a linear ramp sampled between pixels is the ramp's value there`, () => {
      const out = warpHistory(kind, ramp, uniformFlow(0.3, -0.6), W, H);
      let worst = 0;
      for (let y = 4; y < H - 4; y++)
        for (let x = 4; x < W - 4; x++)
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out[3 * (y * W + x) + c] - (3 * (x + 0.3) + 2 * (y - 0.6) + c * 10)));
      expect(worst).toBeLessThan({ bilinear: 1e-3, bsmooth: 1e-3, bspline: 0.02, lanczos3: 0.1, keys75: 0.25 }[kind]);
    });
  }
});
