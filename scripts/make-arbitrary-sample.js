#!/usr/bin/env node
// Makes the README's picture of arbitrary style transfer: a frame of a video, the style picture,
// then the frame stylized with it at strength 1 and 0.5, side by side.
//   npm run build && node scripts/make-arbitrary-sample.js [video] [style picture] [frame] [output]
// Defaults: the project's own samples/mandelbrot.mp4 (node scripts/make-samples.js), frame 36, and a
// style picture this script draws itself with ffmpeg (wavy tiles), so that nothing committed comes
// from elsewhere; output samples/arbitrary-style.jpg. The models come as for any render
// ($STYLIZE_VIDEO_MODELS, the cache, or a download).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeFrames, ffmpegBinaries, probeVideo, stylizeVideoFrame } from '../dist/index.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sv-sample-'));
const [video = join(root, 'samples', 'mandelbrot.mp4'), given, frameText = '36', output = join(root, 'samples', 'arbitrary-style.jpg')] = process.argv.slice(2);
const frame = Number(frameText);
const HEIGHT = 270;
const GAP = 6;

/** Wavy tiles in two blues and a magenta: a style with a clear texture and palette. */
function drawStyle(path) {
  const v = 'sin(X/5+5*sin(Y/41)+2*sin(X/67))*cos(Y/9+2*sin(X/29))';
  const paint = `geq=r='25+200*gt(${v},0.25)+20*sin(Y/50)':g='55+170*gt(${v},0.25)+40*gt(${v},-0.4)':b='110+120*gt(${v},-0.4)'`;
  execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `nullsrc=s=512x384,${paint}`, '-frames:v', '1', path]);
  return path;
}

try {
  // The frame as a render decodes it.
  let plain;
  for await (const f of decodeFrames(await probeVideo(video), { startFrame: frame, frameCount: 1 })) plain = f;
  const tiles = [await sharp(plain.data, { raw: { width: plain.width, height: plain.height, channels: 3 } }).resize({ height: HEIGHT }).png().toBuffer()];
  const style = given ?? drawStyle(join(dir, 'style.png'));
  tiles.push(await sharp(style).rotate().resize({ height: HEIGHT, width: Math.round((HEIGHT * 3) / 4), fit: 'cover' }).png().toBuffer());
  for (const strength of [1, 0.5]) {
    const path = join(dir, `s${strength}.png`);
    await stylizeVideoFrame({ input: video, output: path, frame, style, styleStrength: strength });
    tiles.push(await sharp(path).resize({ height: HEIGHT }).png().toBuffer());
  }
  const widths = await Promise.all(tiles.map(async (t) => (await sharp(t).metadata()).width));
  const width = widths.reduce((a, b) => a + b, 0) + GAP * (tiles.length - 1);
  let left = 0;
  const composite = tiles.map((input, i) => {
    const placed = { input, left, top: 0 };
    left += widths[i] + GAP;
    return placed;
  });
  await sharp({ create: { width, height: HEIGHT, channels: 3, background: '#ffffff' } }).composite(composite).jpeg({ quality: 88 }).toFile(output);
  console.log(`wrote ${output} (${width}x${HEIGHT})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
