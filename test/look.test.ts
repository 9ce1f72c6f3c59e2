// The artist's controls (stroke scale, intensity, original colours) against their formulas written
// out here, naively, on real frames and the real (tiny) network.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, decodeFrames, probeVideo, withLook, PLAIN_LOOK, type Look, type RgbFrame, type Stylizer } from 'stylize-video';
import { makeClip, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const footage = join(import.meta.dirname, '..', '..', 'shared', 'media', 'big-buck-bunny-480p-30s.mp4');

let modelDir: string;
let frames: RgbFrame[];

async function framesOf(path: string, size: { width: number; height: number }, at: number[]): Promise<RgbFrame[]> {
  const out: RgbFrame[] = [];
  for await (const f of decodeFrames(await probeVideo(path), { frameList: at, size })) out.push(f);
  return out;
}

beforeAll(async () => {
  const dir = tempDir();
  modelDir = writeTinyModel(join(dir, 'tiny'));
  // Real footage where the shared media is beside the repository, else ffmpeg's test pattern.
  const source = existsSync(footage) ? footage : makeClip(join(dir, 'clip.mp4'), { width: 128, height: 96, seconds: 1, audio: false });
  frames = await framesOf(source, { width: 96, height: 64 }, [5, 20]);
});

const tiny = (look?: Look) => createStylizer({ style: 'tiny', modelDir, backend: 'wasm', concurrency: 1, look });
const look = (l: Partial<Look>): Look => ({ ...PLAIN_LOOK, ...l });

async function run(stylizer: Stylizer, input: RgbFrame[]): Promise<RgbFrame[]> {
  try {
    return await stylizer.stylize(input);
  } finally {
    await stylizer.close();
  }
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

/** BT.601 full-range (JFIF) YCbCr of one pixel. */
const ycbcr = (r: number, g: number, b: number) => [
  0.299 * r + 0.587 * g + 0.114 * b,
  128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
  128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
];
const fromYcbcr = (y: number, cb: number, cr: number) => [y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), y + 1.772 * (cb - 128)];
const byte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

/** Each 2x2 block's mean. */
function halve(frame: RgbFrame): RgbFrame {
  const w = frame.width / 2, h = frame.height / 2, d = frame.data, W = frame.width;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => d[(yy * W + xx) * 3 + c];
        data[(y * w + x) * 3 + c] = Math.round((at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4);
      }
  return { index: frame.index, width: w, height: h, data };
}

/**
 * Joint bilateral upsampling (Kopf et al. 2007) with a bilinear footprint, written out: each full
 * pixel weighs the four small pixels around its centre by bilinear weight times
 * exp(-Δluma²/(2·16²)), Δluma between the full guide and the small one.
 */
function naiveJointBilateral(small: RgbFrame, smallGuide: RgbFrame, guide: RgbFrame): Uint8Array {
  const { width: w, height: h } = small, { width: W, height: H } = guide;
  const luma = (d: Uint8Array, k: number) => Math.round(0.299 * d[3 * k] + 0.587 * d[3 * k + 1] + 0.114 * d[3 * k + 2]);
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const u = Math.min(Math.max((x + 0.5) * (w / W) - 0.5, 0), w - 1), v = Math.min(Math.max((y + 0.5) * (h / H) - 0.5, 0), h - 1);
      const x0 = Math.floor(u), y0 = Math.floor(v), x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
      const taps = [[x0, y0, (1 - (u - x0)) * (1 - (v - y0))], [x1, y0, (u - x0) * (1 - (v - y0))], [x0, y1, (1 - (u - x0)) * (v - y0)], [x1, y1, (u - x0) * (v - y0)]];
      const here = luma(guide.data, y * W + x);
      let weights = taps.map(([tx, ty, b]) => b * Math.exp(-((here - luma(smallGuide.data, ty * w + tx)) ** 2) / (2 * 16 * 16)));
      if (weights.reduce((a, b) => a + b) < 1e-6) weights = taps.map((t) => t[2]);
      const total = weights.reduce((a, b) => a + b);
      for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] = Math.round(taps.reduce((sum, [tx, ty], i) => sum + weights[i] * small.data[(ty * w + tx) * 3 + c], 0) / total);
    }
  return out;
}

describe('stroke scale', () => {
  it('s = 2 is the network on the half-size frame, brought back by joint bilateral upsampling guided by the frame', async () => {
    const scaled = await run(await tiny(look({ strokeScale: 2 })), frames);
    const halves = frames.map(halve);
    const small = await run(await tiny(), halves);
    scaled.forEach((out, i) => {
      expect([out.width, out.height]).toEqual([frames[i].width, frames[i].height]);
      expect(maxDifference(out.data, naiveJointBilateral(small[i], halves[i], frames[i]))).toBeLessThanOrEqual(1);
    });
  });

  /** A network that paints vertical strokes of a fixed period in its own pixels. */
  const stripes = (period: number): Stylizer => ({
    backend: { name: 'cpu' } as never, precision: { name: 'fp32' } as never, model: {} as never, batchSize: 1, concurrency: 1,
    stylize: async (input) => input.map((f) => {
      const data = new Uint8Array(f.width * f.height * 3);
      for (let k = 0; k < f.width * f.height; k++) data.fill(Math.round(128 + 90 * Math.sin((2 * Math.PI * (k % f.width)) / period)), 3 * k, 3 * k + 3);
      return { ...f, data };
    }),
    close: async () => undefined,
  });

  /** The lag of the highest autocorrelation peak of the rows' mean-free luma (lags 2 .. width/3). */
  function wavelength(frame: RgbFrame): number {
    const { width, height, data } = frame;
    const score = (lag: number) => {
      let sum = 0;
      for (let y = 0; y < height; y++) {
        const row = Array.from({ length: width }, (_, x) => data[(y * width + x) * 3]);
        const mean = row.reduce((a, b) => a + b) / width;
        for (let x = 0; x + lag < width; x++) sum += (row[x] - mean) * (row[x + lag] - mean);
      }
      return sum / (width - lag);
    };
    const lags = Array.from({ length: Math.floor(width / 3) - 1 }, (_, i) => i + 2);
    const scores = lags.map(score);
    const peaks = lags.filter((_, i) => i > 0 && i < lags.length - 1 && scores[i] > scores[i - 1] && scores[i] >= scores[i + 1]);
    return peaks.reduce((best, lag) => (score(lag) > score(best) ? lag : best));
  }

  it("doubles the strokes' wavelength at s = 2 (autocorrelation peak, within 15%)", async () => {
    // A smooth frame, as a sky: the guide has no edges to impose.
    const width = 240, height = 48;
    const data = new Uint8Array(width * height * 3);
    for (let k = 0; k < width * height; k++) data.fill(60 + Math.round((k % width) / 4), 3 * k, 3 * k + 3);
    const frame = { index: 0, width, height, data };
    const [one] = await withLook(stripes(7), PLAIN_LOOK).stylize([frame]);
    const [two] = await withLook(stripes(7), look({ strokeScale: 2 })).stylize([frame]);
    const [four] = await withLook(stripes(7), look({ strokeScale: 4 })).stylize([frame]);
    expect(wavelength(one)).toBe(7);
    expect(Math.abs(wavelength(two) / wavelength(one) - 2)).toBeLessThan(0.3);
    expect(Math.abs(wavelength(four) / wavelength(one) - 4)).toBeLessThan(0.6);
  });
});

describe('intensity and original colours', () => {
  it('intensity a is a · stylized + (1 − a) · original', async () => {
    const plain = await run(await tiny(), frames);
    const mixed = await run(await tiny(look({ intensity: 0.3 })), frames);
    mixed.forEach((out, i) => {
      const expected = plain[i].data.map((s, k) => Math.round(0.3 * s + 0.7 * frames[i].data[k]));
      expect(maxDifference(out.data, expected)).toBeLessThanOrEqual(1);
    });
  });

  it("original colours: the stylized luma with the input's Cb and Cr (BT.601), chroma kept within rounding", async () => {
    const plain = await run(await tiny(), frames);
    const kept = await run(await tiny(look({ originalColors: true })), frames);
    kept.forEach((out, i) => {
      const x = frames[i].data, s = plain[i].data, o = out.data;
      const expected = new Uint8Array(o.length);
      let unclipped = 0;
      for (let k = 0; k < o.length; k += 3) {
        const [y] = ycbcr(s[k], s[k + 1], s[k + 2]);
        const [, cb, cr] = ycbcr(x[k], x[k + 1], x[k + 2]);
        const rgb = fromYcbcr(y, cb, cr);
        rgb.forEach((v, c) => (expected[k + c] = byte(v)));
        if (rgb.every((v) => v >= 0 && v <= 255)) {
          unclipped++;
          const [oy, ocb, ocr] = ycbcr(o[k], o[k + 1], o[k + 2]);
          expect(Math.abs(ocb - cb)).toBeLessThanOrEqual(1);
          expect(Math.abs(ocr - cr)).toBeLessThanOrEqual(1);
          expect(Math.abs(oy - y)).toBeLessThanOrEqual(1);
        }
      }
      expect(unclipped).toBeGreaterThan(o.length / 3 / 2);
      expect(maxDifference(o, expected)).toBeLessThanOrEqual(1);
    });
  });

  it('all three in order: stroke scale, then original colours, then intensity', async () => {
    const halves = frames.map(halve);
    const small = await run(await tiny(), halves);
    const out = await run(await tiny(look({ strokeScale: 2, originalColors: true, intensity: 0.5 })), frames);
    out.forEach((o, i) => {
      const up = naiveJointBilateral(small[i], halves[i], frames[i]);
      const x = frames[i].data;
      const expected = new Uint8Array(up.length);
      for (let k = 0; k < up.length; k += 3) {
        const [y] = ycbcr(up[k], up[k + 1], up[k + 2]);
        const [, cb, cr] = ycbcr(x[k], x[k + 1], x[k + 2]);
        fromYcbcr(y, cb, cr).forEach((v, c) => (expected[k + c] = Math.round(0.5 * byte(v) + 0.5 * x[k + c])));
      }
      expect(maxDifference(o.data, expected)).toBeLessThanOrEqual(1);
    });
  });
});
