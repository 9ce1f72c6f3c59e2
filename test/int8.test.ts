import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelWeights, type ModelWeights } from 'stylize-video';
import { resolveVideo } from '../src/job/index.js';
import { CALIBRATION_FILE, calibrate, choosePrecision, INT8_LAYERS, int8FasterHere, int8Settings, type Int8Calibration } from '../src/stylize/int8.js';
import { weightsDigest } from '../src/stylize/model-files.js';
import { activationQuantization, onnxModel, quantizeKernel } from '../src/stylize/onnx-model.js';
import { OnnxNet, loadOnnxRuntime } from '../src/stylize/onnx-net.js';
import { psnr } from '../src/metrics/index.js';
import { runCli } from './helpers/cli.js';
import { makeClip, tempDir } from './helpers/media.js';
import { tinyShapes, writeTinyModel } from './helpers/tiny-model.js';

/** Smooth shapes with edges and a little texture, like a frame more than noise is. */
function picture(width: number, height: number, seed: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        const disc = (x - width / 2 - seed) ** 2 + (y - height / 2) ** 2 < (width / 4) ** 2 ? 90 : 0;
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, 40 + disc + Math.sin(x * 0.21 + c + seed) * 50 + Math.cos(y * 0.17 - c) * 40 + ((x * 7 + y * 13 + seed) % 11)));
      }
  return data;
}
const frame = (seed: number, width = 64, height = 48) => ({ index: seed, width, height, data: picture(width, height, seed) });

let weights: ModelWeights;
let modelDir: string;
let calibration: Int8Calibration;

beforeAll(async () => {
  // Wider than the default tiny model, so the residual convolutions have channels to quantize per channel.
  modelDir = writeTinyModel(tempDir(), 3, tinyShapes(8, 16, 32));
  weights = await loadModelWeights(modelDir, 'tiny');
  const ranges = await calibrate(weights, [0, 1, 2, 3].map((s) => frame(s)));
  calibration = { weights: weightsDigest(weights), source: 'test pictures', ranges, quality: { psnr: 40, ssim: 0.99, frames: 4, passes: true } };
  writeFileSync(join(modelDir, CALIBRATION_FILE), JSON.stringify(calibration));
});

describe('int8 quantization', () => {
  it('quantizes weights per output channel, symmetric, in 7 bits: every weight within half a step', () => {
    const values = Float32Array.from({ length: 2 * 18 }, (_, i) => (i < 18 ? Math.sin(i) * 0.01 : Math.cos(i) * 3));
    const q = quantizeKernel(values, 2, 7);
    for (let o = 0; o < 2; o++) {
      const channel = Array.from(q.values.slice(o * 18, o * 18 + 18));
      expect(Math.max(...channel.map(Math.abs))).toBe(63);
      channel.forEach((v, i) => expect(Math.abs(v * q.scales[o] - values[o * 18 + i])).toBeLessThanOrEqual(q.scales[o] / 2 + 1e-9));
    }
  });

  it('keeps zero exact in an activation range (padding is zero)', () => {
    for (const range of [[0, 6], [-1.3, 4.2], [2, 5], [-3, -1]] as Array<[number, number]>) {
      const { scale, zeroPoint } = activationQuantization(range);
      expect(Number.isInteger(zeroPoint) && zeroPoint >= 0 && zeroPoint <= 255).toBe(true);
      expect(Math.min(range[0], 0) / scale + zeroPoint).toBeCloseTo(0, 0);
    }
  });

  it('runs the residual convolutions as ONNX Runtime integer kernels (QLinearConv in the optimized graph)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'int8-')), 'optimized.onnx');
    const net = await OnnxNet.create(weights, 1, int8Settings(calibration), { optimizedModelFilePath: file, graphOptimizationLevel: 'extended' });
    await net.dispose();
    const graph = readFileSync(file).toString('latin1');
    expect(graph.match(/QLinearConv/g)?.length).toBe(INT8_LAYERS.length);
    const ort = await loadOnnxRuntime();
    expect(ort).toBeDefined();
  });

  it('gives nearly what fp32 gives, on pictures it was not calibrated on', async () => {
    const fp32 = await OnnxNet.create(weights, 1);
    const int8 = await OnnxNet.create(weights, 1, int8Settings(calibration));
    for (const seed of [7, 11]) {
      const input = frame(seed, 68, 52);
      const [a] = await fp32.stylize([input]);
      const [b] = await int8.stylize([input]);
      expect(new Set(a.data).size).toBeGreaterThan(20);
      // A random network magnifies rounding more than trained ones do (those keep 32-39 dB on
      // footage, README); broken quantization (a wrong scale, zero point or layout) gives under 15.
      expect(psnr(a.data, b.data)).toBeGreaterThan(25);
      expect(a.data).not.toEqual(b.data);
    }
    await fp32.dispose();
    await int8.dispose();
  });

  it('builds the float graph unchanged without int8 settings', () => {
    expect(Buffer.compare(onnxModel(weights), onnxModel(weights, undefined))).toBe(0);
    expect(onnxModel(weights, int8Settings(calibration)).length).toBeLessThan(onnxModel(weights).length);
  });
});

describe('--precision', () => {
  const onnx = { name: 'onnx' as const };
  it('auto picks int8 only on ONNX Runtime, with a calibration that passed, on a CPU where it is faster', () => {
    const fast = { faster: true, why: 'test' };
    expect(choosePrecision('auto', onnx, calibration, fast).name).toBe('int8');
    expect(choosePrecision('auto', { name: 'wasm' }, calibration, fast)).toMatchObject({ name: 'fp32', reason: expect.stringMatching(/float only/) });
    expect(choosePrecision('auto', onnx, undefined, fast)).toMatchObject({ name: 'fp32', reason: expect.stringMatching(/no int8 calibration/) });
    expect(choosePrecision('auto', onnx, { ...calibration, quality: { psnr: 29, ssim: 0.9, frames: 4, passes: false } }, fast)).toMatchObject({ name: 'fp32', reason: expect.stringMatching(/below the bar/) });
    expect(choosePrecision('auto', onnx, calibration, { faster: false, why: 'no AVX2' })).toMatchObject({ name: 'fp32', reason: expect.stringMatching(/not faster here: no AVX2/) });
    expect(choosePrecision('fp32', onnx, calibration, fast).name).toBe('fp32');
    expect(() => choosePrecision('int8', { name: 'wasm' }, calibration, fast)).toThrow(/precision int8 is not possible/);
    expect(() => choosePrecision('int8', onnx, undefined, fast)).toThrow(/no int8 calibration/);
  });

  it('reads the CPU features', () => {
    if (process.arch !== 'x64') return;
    expect(int8FasterHere('flags\t: fpu sse2 avx2 fma\n').faster).toBe(true);
    expect(int8FasterHere('flags\t: fpu sse2 sse4_2\n').faster).toBe(false);
  });

  it('is part of the render identity (plan.json), as the precision resolved', async () => {
    const input = makeClip(join(tempDir(), 'in.mp4'), { width: 64, height: 48, seconds: 1, fps: 24, audio: false });
    const identity = async (precision: 'fp32' | 'int8') =>
      (await resolveVideo({ input, model: modelDir, precision, backend: 'onnx', output: join(tempDir(), 'out.mp4') })).identity;
    expect((await identity('fp32')).precision).toBe('fp32');
    expect((await identity('int8')).precision).toBe('int8');
    expect(await identity('int8')).not.toEqual(await identity('fp32'));
  });

  it('is reported for a still as it ran: a picture and a frame of a video', async () => {
    const dir = tempDir();
    const photo = join(dir, 'photo.png');
    await sharp({ create: { width: 40, height: 32, channels: 3, background: '#3080c0' } }).png().toFile(photo);
    const clip = makeClip(join(dir, 'clip.mp4'), { width: 64, height: 48, seconds: 1, audio: false });
    const precisionOf = (args: string[], precision: string) => {
      const r = runCli([...args, '--model', modelDir, '--backend', 'onnx', '--precision', precision, '--json', '-o', join(dir, `${precision}.png`), '--overwrite']);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!).precision;
    };
    for (const precision of ['int8', 'fp32']) {
      expect(precisionOf([photo], precision)).toBe(precision);
      expect(precisionOf([clip, '--frames', '3'], precision)).toBe(precision);
    }
  });

  it('reaches a farm as resolved: plan hands every shard --precision int8 or fp32, never auto', () => {
    const clip = makeClip(join(tempDir(), 'clip.mp4'), { width: 64, height: 48, seconds: 1, audio: false });
    const shardCommand = (precision: string) => {
      const r = runCli(['plan', clip, '--shards', '2', '--part-frames', '12', '--model', modelDir, '--precision', precision, '--format', 'json']);
      expect(r.status, r.stderr).toBe(0);
      const command: string[] = JSON.parse(r.stdout).shardCommand;
      return command[command.indexOf('--precision') + 1];
    };
    // auto resolves on the planning machine (its auto backend, its CPU; the calibration passed)
    expect(['int8', 'fp32']).toContain(shardCommand('auto'));
    expect(shardCommand('int8')).toBe('int8');
    expect(shardCommand('fp32')).toBe('fp32');
  });
});
