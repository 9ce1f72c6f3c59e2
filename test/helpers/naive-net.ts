// A deliberately naive TransformerNet, written from ../shared/models/README.md with plain loops
// and no TF.js: the independent reference the real network is checked against.
export interface Image {
  h: number;
  w: number;
  c: number;
  v: Float64Array; // HWC
}

const at = (x: Image, y: number, xx: number, c: number) => x.v[(y * x.w + xx) * x.c + c];

function conv2dSame(x: Image, k: Float32Array, [kh, kw, ci, co]: number[], stride: number): Image {
  const h = Math.ceil(x.h / stride);
  const w = Math.ceil(x.w / stride);
  // TensorFlow's SAME: total padding split with the smaller half before.
  const padTop = Math.floor(Math.max((h - 1) * stride + kh - x.h, 0) / 2);
  const padLeft = Math.floor(Math.max((w - 1) * stride + kw - x.w, 0) / 2);
  const out: Image = { h, w, c: co, v: new Float64Array(h * w * co) };
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < w; ox++)
      for (let o = 0; o < co; o++) {
        let sum = 0;
        for (let dy = 0; dy < kh; dy++)
          for (let dx = 0; dx < kw; dx++) {
            const iy = oy * stride + dy - padTop;
            const ix = ox * stride + dx - padLeft;
            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
            for (let i = 0; i < ci; i++) sum += at(x, iy, ix, i) * k[((dy * kw + dx) * ci + i) * co + o];
          }
        out.v[(oy * w + ox) * co + o] = sum;
      }
  return out;
}

/** The transpose of a stride-2 SAME convolution, by scattering each input pixel through the kernel. */
function conv2dTransposeSame(x: Image, k: Float32Array, [kh, kw, co, ci]: number[]): Image {
  const h = x.h * 2;
  const w = x.w * 2;
  const padTop = Math.floor(Math.max((x.h - 1) * 2 + kh - h, 0) / 2);
  const padLeft = Math.floor(Math.max((x.w - 1) * 2 + kw - w, 0) / 2);
  const out: Image = { h, w, c: co, v: new Float64Array(h * w * co) };
  for (let iy = 0; iy < x.h; iy++)
    for (let ix = 0; ix < x.w; ix++)
      for (let dy = 0; dy < kh; dy++)
        for (let dx = 0; dx < kw; dx++) {
          const oy = iy * 2 + dy - padTop;
          const ox = ix * 2 + dx - padLeft;
          if (oy < 0 || ox < 0 || oy >= h || ox >= w) continue;
          for (let o = 0; o < co; o++)
            for (let i = 0; i < ci; i++) out.v[(oy * w + ox) * co + o] += at(x, iy, ix, i) * k[((dy * kw + dx) * co + o) * ci + i];
        }
  return out;
}

function instnorm(x: Image, shift: Float32Array, scale: Float32Array, relu: boolean): Image {
  const n = x.h * x.w;
  const out: Image = { ...x, v: new Float64Array(x.v.length) };
  for (let c = 0; c < x.c; c++) {
    let mean = 0;
    for (let p = 0; p < n; p++) mean += x.v[p * x.c + c];
    mean /= n;
    let variance = 0;
    for (let p = 0; p < n; p++) variance += (x.v[p * x.c + c] - mean) ** 2;
    variance /= n;
    for (let p = 0; p < n; p++) {
      const y = (scale[c] * (x.v[p * x.c + c] - mean)) / Math.sqrt(variance + 1e-3) + shift[c];
      out.v[p * x.c + c] = relu ? Math.max(0, y) : y;
    }
  }
  return out;
}

function reflectPad(x: Image, h: number, w: number): Image {
  const r = (i: number, n: number) => (i < n ? i : 2 * (n - 1) - i);
  const out: Image = { h, w, c: x.c, v: new Float64Array(h * w * x.c) };
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let c = 0; c < x.c; c++) out.v[(y * w + xx) * x.c + c] = at(x, r(y, x.h), r(xx, x.w), c);
  return out;
}

export type Variables = Array<{ shape: number[]; values: Float32Array }>;

/** RGB uint8 in, RGB float (0..255, before rounding) out. */
export function naiveStylize(rgb: Uint8Array, width: number, height: number, v: Variables): Float64Array {
  let x: Image = { h: height, w: width, c: 3, v: Float64Array.from(rgb) };
  x = reflectPad(x, Math.ceil(height / 4) * 4, Math.ceil(width / 4) * 4);
  const conv = (y: Image, i: number, stride: number, relu: boolean) =>
    instnorm(conv2dSame(y, v[i].values, v[i].shape, stride), v[i + 1].values, v[i + 2].values, relu);
  const convT = (y: Image, i: number) => instnorm(conv2dTransposeSame(y, v[i].values, v[i].shape), v[i + 1].values, v[i + 2].values, true);
  let y = conv(x, 0, 1, true);
  y = conv(y, 3, 2, true);
  y = conv(y, 6, 2, true);
  for (const b of [9, 15, 21, 27, 33]) {
    const r = conv(conv(y, b, 1, true), b + 3, 1, false);
    y = { ...y, v: y.v.map((a, j) => a + r.v[j]) };
  }
  y = convT(y, 39);
  y = convT(y, 42);
  y = conv(y, 45, 1, false);
  const out = new Float64Array(width * height * 3);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++)
      for (let ch = 0; ch < 3; ch++) {
        const t = Math.tanh(at(y, r, c, ch)) * 150 + 127.5;
        out[(r * width + c) * 3 + ch] = Math.min(255, Math.max(0, t));
      }
  return out;
}
