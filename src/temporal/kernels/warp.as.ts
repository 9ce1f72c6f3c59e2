// The stage's bicubic warp (warp.ts, warpRgb) as a WebAssembly kernel, written in AssemblyScript
// and compiled by scripts/build-kernels.js into kernels.wasm.ts. The same operations in the same
// order as the JavaScript it replaces, in IEEE doubles: two lanes of a SIMD vector carry two
// channels (red and green), or x and y, each computed as the scalar code computes it, so the result
// is the same to the bit (test/kernels.test.ts checks it against that JavaScript). What the lanes
// buy: the 4x4 neighbourhood's sums, where the warp spends its time, in half the instructions
// (docs/speed-and-memory.md, The temporal stage's WebAssembly kernels).

/**
 * image(p + flow(p)) for every pixel p of a width x height frame, bicubic (Catmull-Rom), edges
 * clamped; the flow (flowWidth x flowHeight, interleaved dx, dy) resized bilinearly to the
 * frame's size on the way, its vectors scaled by scaleX, scaleY (warp.ts, flowResize), each resized
 * vector rounded to float32 as a row of them is stored. `image` and `out` are RGB float32. `scratch` starts with the resize's
 * taps as the caller made them (image.ts, resizeTaps): across the frame low, high (i32) and
 * weight (f32), width of each, then down it, height of each; the row of resized vectors follows.
 */
export function warpBicubic(image: usize, flow: usize, flowWidth: i32, flowHeight: i32, scaleX: f64, scaleY: f64, width: i32, height: i32, out: usize, scratch: usize): void {
  const acrossLow = scratch, acrossHigh = acrossLow + (<usize>width << 2), acrossWeight = acrossHigh + (<usize>width << 2);
  const downLow = acrossWeight + (<usize>width << 2), downHigh = downLow + (<usize>height << 2), downWeight = downHigh + (<usize>height << 2);
  const row = (downWeight + (<usize>height << 2) + 15) & ~15; // the resized flow's row, (dx, dy) as a pair of doubles
  const scale = f64x2(scaleX, scaleY);
  const limit = f64x2(<f64>(width - 1), <f64>(height - 1));
  const zero = f64x2.splat(0.0);
  const stride = <usize>(width * 3) << 2;
  for (let y = 0; y < height; y++) {
    // The flow's row y, as image.ts resizes it: (dx, dy) in two lanes.
    const top = load<i32>(downLow + (<usize>y << 2)) * flowWidth, bottom = load<i32>(downHigh + (<usize>y << 2)) * flowWidth;
    const fy = <f64>load<f32>(downWeight + (<usize>y << 2));
    const FY = f64x2.splat(fy), GY = f64x2.splat(1 - fy);
    for (let x = 0; x < width; x++) {
      const l = load<i32>(acrossLow + (<usize>x << 2)), r = load<i32>(acrossHigh + (<usize>x << 2));
      const fx = <f64>load<f32>(acrossWeight + (<usize>x << 2));
      const FX = f64x2.splat(fx), GX = f64x2.splat(1 - fx);
      const v00 = f64x2.promote_low_f32x4(v128.load64_zero(flow + (<usize>(2 * (top + l)) << 2)));
      const v01 = f64x2.promote_low_f32x4(v128.load64_zero(flow + (<usize>(2 * (top + r)) << 2)));
      const v10 = f64x2.promote_low_f32x4(v128.load64_zero(flow + (<usize>(2 * (bottom + l)) << 2)));
      const v11 = f64x2.promote_low_f32x4(v128.load64_zero(flow + (<usize>(2 * (bottom + r)) << 2)));
      const v = f64x2.mul(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(v00, GX), f64x2.mul(v01, FX)), GY), f64x2.mul(f64x2.add(f64x2.mul(v10, GX), f64x2.mul(v11, FX)), FY)), scale);
      v128.store(row + (<usize>x << 4), f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v)));
    }
    for (let x = 0; x < width; x++) {
      // Where the pixel samples, and the cubic weights along x (lane 0) and y (lane 1).
      const at = f64x2.min(f64x2.max(f64x2.add(f64x2(<f64>x, <f64>y), v128.load(row + (<usize>x << 4))), zero), limit);
      const cell = i32x4.trunc_sat_f64x2_s_zero(at); // at ≥ 0: truncation is floor
      const x0 = i32x4.extract_lane(cell, 0), y0 = i32x4.extract_lane(cell, 1);
      const t = f64x2.sub(at, f64x2.convert_low_i32x4_s(cell));
      const t2 = f64x2.mul(t, t), t3 = f64x2.mul(t2, t);
      const W0 = f64x2.sub(f64x2.add(f64x2.mul(f64x2.splat(-0.5), t3), t2), f64x2.mul(f64x2.splat(0.5), t));
      const W1 = f64x2.add(f64x2.sub(f64x2.mul(f64x2.splat(1.5), t3), f64x2.mul(f64x2.splat(2.5), t2)), f64x2.splat(1.0));
      const W2 = f64x2.add(f64x2.add(f64x2.mul(f64x2.splat(-1.5), t3), f64x2.mul(f64x2.splat(2.0), t2)), f64x2.mul(f64x2.splat(0.5), t));
      const W3 = f64x2.sub(f64x2.mul(f64x2.splat(0.5), t3), f64x2.mul(f64x2.splat(0.5), t2));
      const wx0 = f64x2.extract_lane(W0, 0), wx1 = f64x2.extract_lane(W1, 0), wx2 = f64x2.extract_lane(W2, 0), wx3 = f64x2.extract_lane(W3, 0);
      const wy0 = f64x2.extract_lane(W0, 1), wy1 = f64x2.extract_lane(W1, 1), wy2 = f64x2.extract_lane(W2, 1), wy3 = f64x2.extract_lane(W3, 1);
      let red = 0.0, green = 0.0, blue = 0.0;
      if (x0 >= 1 && x0 + 2 < width && y0 >= 1 && y0 + 2 < height) {
        // Inside: four runs of four pixels, a row apart; red and green in two lanes, blue alone.
        const X0 = v128.shuffle<f64>(W0, W0, 0, 0), X1 = v128.shuffle<f64>(W1, W1, 0, 0), X2 = v128.shuffle<f64>(W2, W2, 0, 0), X3 = v128.shuffle<f64>(W3, W3, 0, 0);
        let p = image + (<usize>(((y0 - 1) * width + x0 - 1) * 3) << 2);
        let redGreen = f64x2.splat(0.0);
        for (let k = 0; k < 4; k++) {
          const wy = k == 0 ? wy0 : k == 1 ? wy1 : k == 2 ? wy2 : wy3;
          const sum = f64x2.add(
            f64x2.add(f64x2.add(f64x2.mul(X0, f64x2.promote_low_f32x4(v128.load64_zero(p))), f64x2.mul(X1, f64x2.promote_low_f32x4(v128.load64_zero(p, 12)))), f64x2.mul(X2, f64x2.promote_low_f32x4(v128.load64_zero(p, 24)))),
            f64x2.mul(X3, f64x2.promote_low_f32x4(v128.load64_zero(p, 36))),
          );
          redGreen = f64x2.add(redGreen, f64x2.mul(f64x2.splat(wy), sum));
          blue += wy * (wx0 * <f64>load<f32>(p, 8) + wx1 * <f64>load<f32>(p, 20) + wx2 * <f64>load<f32>(p, 32) + wx3 * <f64>load<f32>(p, 44));
          p += stride;
        }
        red = f64x2.extract_lane(redGreen, 0);
        green = f64x2.extract_lane(redGreen, 1);
      } else {
        // At the border the neighbourhood is clamped into the image.
        for (let k = 0; k < 4; k++) {
          const wy = k == 0 ? wy0 : k == 1 ? wy1 : k == 2 ? wy2 : wy3;
          const rowStart = min(max(y0 + k - 1, 0), height - 1) * width;
          for (let j = 0; j < 4; j++) {
            const w = wy * (j == 0 ? wx0 : j == 1 ? wx1 : j == 2 ? wx2 : wx3);
            const p = image + (<usize>((rowStart + min(max(x0 + j - 1, 0), width - 1)) * 3) << 2);
            red += w * <f64>load<f32>(p);
            green += w * <f64>load<f32>(p, 4);
            blue += w * <f64>load<f32>(p, 8);
          }
        }
      }
      const o = out + (<usize>((y * width + x) * 3) << 2);
      store<f32>(o, <f32>red);
      store<f32>(o, <f32>green, 4);
      store<f32>(o, <f32>blue, 8);
    }
  }
}
