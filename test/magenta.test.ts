// Arbitrary style transfer: the TF Lite reader, the int8 predictor (tflite-int8.ts) and the ONNX and
// TF.js runs of the transformer, checked against the official TF Lite runtime (wasm) on a real pair of pictures.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RgbFrame } from '../src/frame.js';
import { blendVectors, magentaFile, magentaOnnx, prepareForPredictor, PREDICTOR, styleVector, TRANSFORMER } from '../src/stylize/magenta.js';
import { loadOnnxRuntime, OnnxNet } from '../src/stylize/onnx-net.js';
import { BUILTIN, readTflite } from '../src/stylize/tflite.js';
import { Int8Graph, saturatingRoundingDoublingHighMul } from '../src/stylize/tflite-int8.js';
import { TfliteGraph } from '../src/stylize/tflite-tf.js';
import { initBackend } from '../src/stylize/backend.js';
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { makeClip, psnr, readAllFrames, tempDir } from './helpers/media.js';
import { runCli } from './helpers/cli.js';
import { tfliteRun, withOutput } from './helpers/tflite-reference.js';

const shelf = process.env.STYLIZE_VIDEO_MODELS ?? join(import.meta.dirname, '..', '..', 'shared', 'models');
const magenta = existsSync(join(shelf, 'magenta', TRANSFORMER)) ? join(shelf, 'magenta') : undefined;
const styles = join(import.meta.dirname, '..', '..', 'shared', 'styles');
const pictures = existsSync(join(styles, 'hokusai-great-wave.jpg')) ? styles : undefined;
const why = 'needs $STYLIZE_VIDEO_MODELS/magenta and ../shared/styles';

async function picture(name: string, size?: number): Promise<RgbFrame> {
  let image = sharp(join(styles, name)).removeAlpha();
  if (size) image = image.resize(size, size, { fit: 'cover' });
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { index: 0, width: info.width, height: info.height, data: new Uint8Array(data) };
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

describe.skipIf(!magenta || !pictures)(`Magenta arbitrary style transfer (${why})`, () => {
  let style: RgbFrame;
  let content: RgbFrame;
  let referenceVector: Float32Array;
  beforeAll(async () => {
    // The converted files go to a cache of this test's own.
    process.env.XDG_CACHE_HOME = tempDir('sv-magenta-cache-');
    style = await picture('hokusai-great-wave.jpg');
    content = await picture('turner-shipwreck-of-the-minotaur.jpg', 384);
    referenceVector = await tfliteRun(join(magenta!, PREDICTOR), [{ data: prepareForPredictor(style), shape: [1, 256, 256, 3] }]);
  });

  it('reads both TF Lite files: their inputs, outputs and operators', () => {
    const predictor = readTflite(readFileSync(join(magenta!, PREDICTOR)));
    expect(predictor.inputs.map((i) => predictor.tensors[i].shape)).toEqual([[1, 256, 256, 3]]);
    expect(predictor.outputs.map((i) => predictor.tensors[i].shape)).toEqual([[1, 1, 1, 100]]);
    const transformer = readTflite(readFileSync(join(magenta!, TRANSFORMER)));
    expect(transformer.inputs.map((i) => transformer.tensors[i].shape)).toEqual([[1, 384, 384, 3], [1, 1, 1, 100]]);
    expect(new Set(transformer.operators.map((o) => o.op))).toEqual(new Set(['MIRROR_PAD', 'DEQUANTIZE', 'CONV_2D', 'MEAN', 'SQUARED_DIFFERENCE', 'ADD', 'RSQRT', 'MUL', 'SUB', 'RESIZE_NEAREST_NEIGHBOR', 'LOGISTIC']));
  });

  it("turns each of the transformer's 13 StyleNorms (ten TF Lite operators) into one InstanceNormalization", async () => {
    const text = Buffer.from(await magentaOnnx(TRANSFORMER)).toString('latin1');
    expect(text.split('InstanceNormalization').length - 1).toBe(13);
    expect(text.includes('ReduceMean')).toBe(false);
  });

  it('the int8 predictor gives TF Lite\'s style vector exactly, on a style picture and on a photograph-sized content frame', async () => {
    // Another picture, prepared as a content frame is: the 384x384 content (its own vector is the strength's other end).
    const other = await tfliteRun(join(magenta!, PREDICTOR), [{ data: prepareForPredictor(content), shape: [1, 256, 256, 3] }]);
    for (const [picture, reference] of [[style, referenceVector], [content, other]] as const) {
      const started = performance.now();
      const ours = await styleVector(picture);
      console.log(`predictor on ${picture.width}x${picture.height}: max difference ${maxDifference(ours, reference)} against TF Lite (${(performance.now() - started).toFixed(0)} ms)`);
      expect(maxDifference(ours, reference)).toBeLessThanOrEqual(1e-3);
      expect(Array.from(ours)).toEqual(Array.from(reference));
    }
    // and the two pictures' vectors really differ
    expect(maxDifference(referenceVector, other)).toBeGreaterThan(0.1);
  });

  it("each kind of the predictor's int8 operators gives TF Lite's int8 values exactly (QUANTIZE, CONV_2D, DEPTHWISE_CONV_2D, ADD, MEAN)", async () => {
    const file = join(magenta!, PREDICTOR);
    const model = readTflite(readFileSync(file));
    // Turner's whole painting: among its MEAN's sums are ties, which only XNNPACK's rounding (half to even) gets right.
    const input = prepareForPredictor(await picture('turner-shipwreck-of-the-minotaur.jpg'));
    for (const kind of ['QUANTIZE', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'MEAN']) {
      const k = model.operators.findIndex((o) => o.op === kind);
      const t = model.operators[k].outputs[0];
      const { scale, zeroPoint } = model.tensors[t].quantization!;
      // Ours: the graph up to that operator, then its output dequantised; TF Lite's: that tensor as the file's output.
      const dequantize = { code: BUILTIN.DEQUANTIZE, op: 'DEQUANTIZE', inputs: [t], outputs: model.outputs };
      const ours = new Int8Graph({ ...model, operators: [...model.operators.slice(0, k + 1), dequantize] }).run(input);
      const theirs = await tfliteRun(withOutput(file, t), [{ data: input, shape: [1, 256, 256, 3] }]);
      expect(ours.length, kind).toBe(theirs.length);
      expect(Array.from(ours), kind).toEqual(Array.from(theirs, (q) => Math.fround((q - zeroPoint[0]) * scale[0])));
    }
  });

  it('the converted transformer agrees with TF Lite within 1e-3 at 384x384, and so does the whole chain', async () => {
    const input = Float32Array.from(content.data, (v) => v / 255);
    const reference = await tfliteRun(join(magenta!, TRANSFORMER), [{ data: input, shape: [1, 384, 384, 3] }, { data: referenceVector, shape: [1, 1, 1, 100] }]);
    const model = await magentaOnnx(TRANSFORMER);
    const net = await OnnxNet.create({ model, feeds: { style_vector: { data: referenceVector, dims: [1, 1, 1, 100] } } }, 1);
    // OnnxNet rounds to 8 bits; the graph's own 0..255 output is compared before rounding through a raw run.
    const raw = await rawRun(model, content, referenceVector);
    const worst = maxDifference(raw.map((v) => v / 255), reference);
    console.log(`transformer at 384x384: max difference ${worst.toExponential(2)} on 0..1`);
    expect(worst).toBeLessThanOrEqual(1e-3);
    const [stylized] = await net.stylize([content]);
    await net.dispose();
    expect(psnr(stylized.data, Uint8Array.from(reference, (v) => Math.round(v * 255)))).toBeGreaterThan(45);
    // The whole chain: our predictor's vector through our transformer, against TF Lite's predictor and transformer.
    const chainRaw = await rawRun(model, content, await styleVector(style));
    const chainWorst = maxDifference(chainRaw.map((v) => v / 255), reference);
    const ours = await OnnxNet.create({ model, feeds: { style_vector: { data: await styleVector(style), dims: [1, 1, 1, 100] } } }, 1);
    const [chain] = await ours.stylize([content]);
    await ours.dispose();
    const db = psnr(chain.data, Uint8Array.from(reference, (v) => Math.round(v * 255)));
    console.log(`predictor + transformer against TF Lite at 384x384: max difference ${chainWorst.toExponential(2)} on 0..1, ${db.toFixed(1)} dB`);
    expect(chainWorst).toBeLessThanOrEqual(1e-3);
    expect(db).toBeGreaterThan(45);
  });

  it('with TF.js ops (the backends other than ONNX Runtime): the transformer within 1e-3 of TF Lite, the same style vector', async () => {
    // cpu: the reference's browser shims (self, importScripts) make tfjs-backend-wasm look for its files as in a browser.
    await initBackend('cpu');
    const graph = new TfliteGraph(readTflite(readFileSync(join(magenta!, TRANSFORMER))));
    const x = tf.tensor(Float32Array.from(content.data, (v) => v / 255), [1, 384, 384, 3]);
    const v = tf.tensor(referenceVector, [1, 1, 1, 100]);
    const y = graph.run([x, v]);
    const ours = Float32Array.from(await y.data());
    tf.dispose([x, v, y]);
    graph.dispose();
    const reference = await tfliteRun(join(magenta!, TRANSFORMER), [{ data: Float32Array.from(content.data, (p) => p / 255), shape: [1, 384, 384, 3] }, { data: referenceVector, shape: [1, 1, 1, 100] }]);
    const worst = maxDifference(ours, reference);
    console.log(`transformer on TF.js (cpu) at 384x384: max difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-3);
    // The predictor does not use the backend: the same vector, TF Lite's, on every one.
    expect(Array.from(await styleVector(style))).toEqual(Array.from(referenceVector));
  }, 400_000); // the cpu backend: about 75 s

  it('agrees with TF Lite at another size (320x256), the file patched: its input shape and the resize sizes', async () => {
    const [width, height] = [320, 256];
    // A copy of the file with every [1, 384, 384, 3] shape vector (input and output) made [1, 256, 320, 3]
    // and each RESIZE_NEAREST_NEIGHBOR's size constant scaled the same way; the runtime works the
    // other shapes out itself.
    const bytes = new Uint8Array(readFileSync(join(magenta!, TRANSFORMER)));
    const view = new DataView(bytes.buffer);
    let shapes = 0;
    for (let at = 0; at + 20 <= bytes.length; at += 4) {
      if ([4, 1, 384, 384, 3].every((v, k) => view.getInt32(at + 4 * k, true) === v)) {
        view.setInt32(at + 8, height, true);
        view.setInt32(at + 12, width, true);
        shapes++;
      }
    }
    expect(shapes).toBeGreaterThanOrEqual(2);
    const parsed = readTflite(bytes, TRANSFORMER);
    const resizes = parsed.operators.filter((o) => o.code === BUILTIN.RESIZE_NEAREST_NEIGHBOR);
    expect(resizes).toHaveLength(3);
    for (const r of resizes) {
      const size = parsed.tensors[r.inputs[1]].data!;
      const sizes = new DataView(size.buffer, size.byteOffset, 8);
      sizes.setInt32(0, (sizes.getInt32(0, true) * height) / 384, true);
      sizes.setInt32(4, (sizes.getInt32(4, true) * width) / 384, true);
    }
    const frame = { ...(await picture('turner-shipwreck-of-the-minotaur.jpg')), index: 0 };
    const resized = await sharp(Buffer.from(frame.data), { raw: { width: frame.width, height: frame.height, channels: 3 } }).resize(width, height, { fit: 'cover' }).raw().toBuffer();
    const content: RgbFrame = { index: 0, width, height, data: new Uint8Array(resized) };
    const reference = await tfliteRun(bytes, [{ data: Float32Array.from(content.data, (v) => v / 255), shape: [1, height, width, 3] }, { data: referenceVector, shape: [1, 1, 1, 100] }]);
    expect(reference.length).toBe(width * height * 3);
    const raw = await rawRun(await magentaOnnx(TRANSFORMER), content, referenceVector);
    const worst = maxDifference(raw.map((v) => v / 255), reference);
    console.log(`transformer at ${width}x${height} against the patched TF Lite file: max difference ${worst.toExponential(2)} on 0..1`);
    expect(worst).toBeLessThanOrEqual(1e-3);
  });

  it('runs at sizes the file was not made for, not multiples of 4 included', async () => {
    const model = await magentaOnnx(TRANSFORMER);
    const net = await OnnxNet.create({ model, feeds: { style_vector: { data: referenceVector, dims: [1, 1, 1, 100] } } }, 1);
    const odd = await picture('munch-the-scream.jpg');
    const frame: RgbFrame = { ...odd, index: 3 };
    const [out] = await net.stylize([frame]);
    await net.dispose();
    expect([out.width, out.height, out.index]).toEqual([frame.width, frame.height, 3]);
    expect(new Set(out.data).size).toBeGreaterThan(50);
  });

  it('style strength: r = 0 is the content vector, 1 the style vector, 0.5 their midpoint through the network', async () => {
    const contentVector = await styleVector(content);
    const styleVec = await styleVector(style);
    expect(blendVectors(contentVector, styleVec, 0)).toEqual(contentVector);
    expect(blendVectors(contentVector, styleVec, 1)).toEqual(styleVec);
    const midpoint = Float32Array.from(styleVec, (s, i) => (s + contentVector[i]) / 2);
    expect(maxDifference(blendVectors(contentVector, styleVec, 0.5), midpoint)).toBeLessThan(1e-6);
    const model = await magentaOnnx(TRANSFORMER);
    const outputs = await Promise.all([contentVector, midpoint, styleVec].map((v) => rawRun(model, content, v)));
    const half = await rawRun(model, content, blendVectors(contentVector, styleVec, 0.5));
    expect(maxDifference(half, outputs[1])).toBeLessThan(1e-3);
    // and the three really differ: strength changes the picture
    expect(psnr(outputs[0], outputs[2])).toBeLessThan(30);
  });
});

/** The converted transformer once, its 0..255 output before OnnxNet rounds it to 8 bits. */
async function rawRun(model: Uint8Array, frame: RgbFrame, vector: Float32Array): Promise<Float32Array> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const result = await session.run({
      rgb: new ort.Tensor('float32', Float32Array.from(frame.data), [1, frame.height, frame.width, 3]),
      style_vector: new ort.Tensor('float32', vector, [1, 1, 1, 100]),
    });
    return Float32Array.from(result.stylized.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe.skipIf(!magenta || !pictures)(`--style <picture> on the command line (${why})`, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let contentPath: string;
  const stylePath = join(styles, 'hokusai-great-wave.jpg');
  beforeAll(async () => {
    dir = tempDir('sv-magenta-cli-');
    env = { STYLIZE_VIDEO_MODELS: join(magenta!, '..'), XDG_CACHE_HOME: join(dir, 'cache') };
    contentPath = join(dir, 'content.png');
    await sharp(join(styles, 'turner-shipwreck-of-the-minotaur.jpg')).resize(384, 384, { fit: 'cover' }).png().toFile(contentPath);
  });

  async function readPng(path: string): Promise<Uint8Array> {
    return new Uint8Array(await sharp(path).removeAlpha().raw().toBuffer());
  }

  it.each([1, 0.5])('a 384x384 still at strength %s agrees with the TF Lite runtime at 60 dB or better (the same vector; 8-bit rounding)', async (strength) => {
    const output = join(dir, `out-${strength}.png`);
    const r = runCli([contentPath, '--style', stylePath, '--style-strength', String(strength), '-o', output], env);
    expect(r.status, r.stderr).toBe(0);
    // The reference: TF Lite's own predictor and transformer on the same prepared pictures.
    const content: RgbFrame = { index: 0, width: 384, height: 384, data: await readPng(contentPath) };
    const styleVec = await tfliteRun(join(magenta!, PREDICTOR), [{ data: prepareForPredictor(await picture('hokusai-great-wave.jpg')), shape: [1, 256, 256, 3] }]);
    const contentVec = await tfliteRun(join(magenta!, PREDICTOR), [{ data: prepareForPredictor(content), shape: [1, 256, 256, 3] }]);
    const vector = blendVectors(contentVec, styleVec, strength);
    const reference = await tfliteRun(join(magenta!, TRANSFORMER), [{ data: Float32Array.from(content.data, (v) => v / 255), shape: [1, 384, 384, 3] }, { data: vector, shape: [1, 1, 1, 100] }]);
    const db = psnr(await readPng(output), Uint8Array.from(reference, (v) => Math.round(v * 255)));
    console.log(`CLI still at strength ${strength} against TF Lite: ${db.toFixed(1)} dB`);
    expect(db).toBeGreaterThanOrEqual(60);
  });

  it('styles lists the arbitrary model and its licence; preview takes a picture style', async () => {
    const listed = JSON.parse(runCli(['styles', '--json'], env).stdout);
    expect(listed.arbitrary).toMatchObject({ name: 'magenta', usage: '--style <picture file>', licence: { name: 'Apache-2.0', commercialUse: true } });
    const clip = makeClip(join(dir, 'preview-clip.mp4'), { width: 64, height: 48, seconds: 0.5, fps: 10, audio: false });
    const sheet = join(dir, 'sheet.png');
    const r = runCli(['preview', clip, '--style', stylePath, '--style-strength', '0.5', '--count', '2', '-o', sheet, '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ kind: 'contact-sheet', licence: { name: 'Apache-2.0' } });
    expect(existsSync(sheet)).toBe(true);
  });

  it('shards agree with one run: the strength mixes in the first frame of the whole range; plan.json names the picture by SHA-256', async () => {
    const clip = makeClip(join(dir, 'clip.mp4'), { width: 66, height: 38, seconds: 1, fps: 10, audio: false });
    const settings = ['--style', stylePath, '--style-strength', '0.5', '--no-temporal', '--frames', '0-9', '--part-frames', '5'];
    const single = join(dir, 'single.mp4');
    expect(runCli([clip, ...settings, '-o', single], env).status).toBe(0);
    const sharded = join(dir, 'sharded.mp4');
    for (const shard of ['1/2', '0/2']) {
      const r = runCli([clip, ...settings, '-o', sharded, '--shard', shard], env);
      expect(r.status, r.stderr).toBe(0);
    }
    const manifest = JSON.parse(readFileSync(join(`${sharded}.parts`, 'plan.json'), 'utf8'));
    const digest = createHash('sha256').update(readFileSync(stylePath)).digest('hex');
    expect(manifest.settings).toMatchObject({ style: `picture hokusai-great-wave.jpg (sha256 ${digest})`, styleStrength: 0.5 });
    expect(runCli(['join', sharded], env).status).toBe(0);
    const [a, b] = [await readAllFrames(single), await readAllFrames(sharded)];
    expect(b.length).toBe(10);
    for (let i = 0; i < a.length; i++) expect(psnr(a[i].data, b[i].data), `frame ${i}`).toBe(Infinity);
  });
});

describe.skipIf(!magenta)(`the arbitrary-style model files (${why})`, () => {
  it('ship in the package, verified; a damaged copy on the models shelf is refused; the conversion is made once and reused', async () => {
    const home = tempDir('sv-magenta-files-');
    const saved = { cache: process.env.XDG_CACHE_HOME, shelf: process.env.STYLIZE_VIDEO_MODELS };
    try {
      process.env.XDG_CACHE_HOME = join(home, 'cache');
      delete process.env.STYLIZE_VIDEO_MODELS;
      const packaged = await magentaFile(TRANSFORMER);
      expect(packaged.source).toBe('package');
      // The same bytes as the independent copy the tests are given.
      expect(Buffer.compare(packaged.bytes, readFileSync(join(magenta!, TRANSFORMER)))).toBe(0);
      const shelf = join(home, 'shelf');
      mkdirSync(join(shelf, 'magenta'), { recursive: true });
      const damaged = Buffer.from(packaged.bytes);
      damaged[100] ^= 1;
      writeFileSync(join(shelf, 'magenta', TRANSFORMER), damaged);
      process.env.STYLIZE_VIDEO_MODELS = shelf;
      await expect(magentaFile(TRANSFORMER)).rejects.toThrow(/does not match its catalogue checksum: replace it, or unset STYLIZE_VIDEO_MODELS/);
      delete process.env.STYLIZE_VIDEO_MODELS;
      const cache = join(home, 'cache', 'stylize-video', 'models', 'magenta');
      const converted = await magentaOnnx(TRANSFORMER);
      const onnxFiles = readdirSync(cache).filter((f) => f.endsWith('.onnx'));
      expect(onnxFiles).toHaveLength(1);
      // The second time the converted file is read, not made: a marker written into it comes back.
      const marked = Buffer.from(readFileSync(join(cache, onnxFiles[0])));
      writeFileSync(join(cache, onnxFiles[0]), Buffer.concat([marked, Buffer.from([0])]));
      expect((await magentaOnnx(TRANSFORMER)).length).toBe(converted.length + 1);
    } finally {
      for (const [key, value] of [['XDG_CACHE_HOME', saved.cache], ['STYLIZE_VIDEO_MODELS', saved.shelf]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe('the int8 predictor\'s fixed-point arithmetic', () => {
  it('SaturatingRoundingDoublingHighMul is exact on int32s (against BigInt)', () => {
    const reference = (a: number, b: number) => {
      if (a === -(2 ** 31) && b === -(2 ** 31)) return 2 ** 31 - 1;
      const product = BigInt(a) * BigInt(b);
      // C++: (a·b + nudge) / 2^31, truncated toward zero
      return Number((product + (product >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n));
    };
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      const r = seed % 10;
      return r === 0 ? -(2 ** 31) : r === 1 ? 2 ** 31 - 1 : Math.trunc(seed / 2 ** (seed & 31 & 15));
    };
    for (let i = 0; i < 100_000; i++) {
      const [a, b] = [random(), random()];
      expect(saturatingRoundingDoublingHighMul(a, b), `${a} · ${b}`).toBe(reference(a, b));
    }
  });
});
