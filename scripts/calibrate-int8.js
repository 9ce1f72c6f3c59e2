#!/usr/bin/env node
// Calibrates int8 inference (see src/stylize/int8.ts) and measures what it costs in quality:
//   node scripts/calibrate-int8.js --media <dir> [--style a,b | --model <dir>] [--dry]
// Frames: every clip of <media>/footage and <media>/big-buck-bunny-480p-30s.mp4 (--media, or
// $STYLIZE_VIDEO_MEDIA), scaled to 640x360, every 20th frame from the start, 8 per clip; the even ones
// calibrate, the odd ones measure int8 against fp32 (PSNR over RGB, SSIM on luma, per frame,
// averaged). Writes src/stylize/int8-calibration.json for catalogue styles (the ranges every machine
// then uses, so that all give the same pixels), or <model dir>/int8-calibration.json.
// The styles' weights come as for a render ($STYLIZE_VIDEO_MODELS, the cache, or a download).
// Needs `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { style: { type: 'string' }, model: { type: 'string' }, media: { type: 'string' }, dry: { type: 'boolean' } } });
const root = new URL('..', import.meta.url).pathname;
const media = args.media ?? process.env.STYLIZE_VIDEO_MEDIA;
if (!media || !existsSync(join(media, 'footage'))) {
  console.error(`calibrate-int8: give --media <dir> or set STYLIZE_VIDEO_MEDIA: the folder that holds footage/*.mp4 and big-buck-bunny-480p-30s.mp4${media ? ` (no footage/ in ${media})` : ''}`);
  process.exit(2);
}

const { loadModelWeights, weightsDigest } = await import('../dist/stylize/model-files.js');
const { onnxModel } = await import('../dist/stylize/onnx-model.js');
const { calibrate, int8Settings, QUALITY_BAR, INT8_LAYERS } = await import('../dist/stylize/int8.js');
const { loadOnnxRuntime } = await import('../dist/stylize/onnx-net.js');
const { findStyle } = await import('../dist/stylize/model-store.js');
const { psnr, ssim } = await import('../dist/metrics/index.js');
const ffmpeg = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;

const [W, H, PER_CLIP] = [640, 360, 8];
const clips = [...readdirSync(join(media, 'footage')).filter((f) => f.endsWith('.mp4')).sort().map((f) => join(media, 'footage', f)), join(media, 'big-buck-bunny-480p-30s.mp4')];
const calibration = [];
const evaluation = [];
for (const clip of clips) {
  const raw = execFileSync(ffmpeg, ['-loglevel', 'error', '-i', clip, '-vf', `scale=${W}:${H},select='not(mod(n\\,20))'`, '-vsync', 'vfr', '-frames:v', String(PER_CLIP), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 });
  for (let i = 0; i * W * H * 3 < raw.length; i++) {
    const frame = { index: i, width: W, height: H, data: new Uint8Array(raw.subarray(i * W * H * 3, (i + 1) * W * H * 3)) };
    (i % 2 === 0 ? calibration : evaluation).push(frame);
  }
}
const source = `${calibration.length} frames at ${W}x${H}: every 40th frame of ${clips.map((c) => basename(c)).join(', ')} (scripts/calibrate-int8.js)`;
console.error(`calibrating on ${calibration.length} frames, measuring on ${evaluation.length}`);

const ort = await loadOnnxRuntime();
const options = { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
async function outputs(model, frames) {
  const session = await ort.InferenceSession.create(model, options);
  const result = [];
  for (const f of frames) {
    const out = await session.run({ rgb: new ort.Tensor('float32', Float32Array.from(f.data), [1, H, W, 3]) });
    result.push(Uint8Array.from(out.stylized.data, (v) => v + 0.5));
  }
  await session.release();
  return result;
}

const outFile = args.model ? join(args.model, 'int8-calibration.json') : join(root, 'src/stylize/int8-calibration.json');
const stored = !args.model && existsSync(outFile) ? JSON.parse(readFileSync(outFile, 'utf8')) : {};
const styleNames = args.style?.split(',') ?? Object.keys(JSON.parse(readFileSync(join(root, 'src/stylize/catalogue.json'), 'utf8')).styles);
const targets = args.model ? [{ name: basename(args.model), dir: args.model }] : await Promise.all(styleNames.map(async (name) => ({ name, dir: (await findStyle(name))?.dir })));
const rows = [];
for (const { name, dir } of targets) {
  if (!dir) { console.error(`${name}: not available here, skipped`); continue; }
  const weights = await loadModelWeights(dir, name);
  const ranges = await calibrate(weights, calibration);
  const fp32 = await outputs(onnxModel(weights), evaluation);
  const int8 = await outputs(onnxModel(weights, int8Settings({ ranges })), evaluation);
  let p = 0, s = 0;
  fp32.forEach((a, i) => {
    p += Math.min(psnr(a, int8[i]), 99);
    s += ssim({ width: W, height: H, data: a }, { width: W, height: H, data: int8[i] });
  });
  const quality = { psnr: Number((p / fp32.length).toFixed(2)), ssim: Number((s / fp32.length).toFixed(4)), frames: fp32.length };
  quality.passes = quality.psnr >= QUALITY_BAR.psnr && quality.ssim >= QUALITY_BAR.ssim;
  rows.push({ style: name, ...quality });
  console.error(`${name}: int8 (layers ${INT8_LAYERS.join(',')}) against fp32: ${quality.psnr} dB, SSIM ${quality.ssim}, ${quality.passes ? 'passes' : 'FAILS'}`);
  const entry = { weights: weightsDigest(weights), source, quality, ranges };
  if (args.model) { if (!args.dry) writeFileSync(outFile, JSON.stringify(entry)); }
  else stored[name] = entry;
}
if (!args.model && !args.dry) writeFileSync(outFile, JSON.stringify(stored, null, 0) + '\n');
console.log(JSON.stringify(rows));
