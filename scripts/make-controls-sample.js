#!/usr/bin/env node
// Makes the README's pictures of the artist's controls, one frame each: stroke scale 1/2/4,
// intensity 0.3/0.6/1, original colours off/on, and the upsampler against a plain resize at s = 4.
//   npm run build && node scripts/make-controls-sample.js [video] [frame] [style]
// Defaults: the project's own samples/mandelbrot.mp4 (node scripts/make-samples.js), frame 36,
// the built-in hokusai style; the frame is taken at 1280x720 so that stroke scale has room. Writes
// samples/controls-*.jpg. The models come as for any render ($STYLIZE_VIDEO_MODELS, the cache, or
// a download).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { builtInPicture, createStylizer, decodeFrames, isStyleImage, PLAIN_LOOK, probeVideo } from '../dist/index.js';
import { areaDownscale, bilinearUpsample, jointBilateralUpsample } from '../dist/stylize/joint-upsample.js';
import { networkSize } from '../dist/stylize/look.js';
import { panel } from './sample-panels.js';

const root = new URL('..', import.meta.url).pathname;
const sharedModels = join(root, '..', 'shared', 'models');
if (!process.env.STYLIZE_VIDEO_MODELS && existsSync(sharedModels)) process.env.STYLIZE_VIDEO_MODELS = sharedModels;
const [video = join(root, 'samples', 'mandelbrot.mp4'), frameText = '36', styleName = 'hokusai'] = process.argv.slice(2);
const style = isStyleImage(styleName) ? styleName : (builtInPicture(styleName) ?? styleName);
const SIZE = { width: 1280, height: 720 };
const GAP = 6;

let frame;
for await (const f of decodeFrames(await probeVideo(video), { startFrame: Number(frameText), frameCount: 1, size: SIZE })) frame = f;

async function stylized(look, input = frame) {
  const stylizer = await createStylizer({ style, backend: 'onnx', frameSize: input, look: { ...PLAIN_LOOK, ...look } });
  try {
    return (await stylizer.stylize([input]))[0];
  } finally {
    await stylizer.close();
  }
}

async function row(panels, name) {
  const metas = await Promise.all(panels.map((p) => sharp(p).metadata()));
  const width = metas.reduce((n, m) => n + m.width, 0) + GAP * (panels.length - 1);
  const height = Math.max(...metas.map((m) => m.height));
  let left = 0;
  const placed = panels.map((p, i) => {
    const at = { input: p, top: 0, left };
    left += metas[i].width + GAP;
    return at;
  });
  const path = join(root, 'samples', `controls-${name}.jpg`);
  await sharp({ create: { width, height, channels: 3, background: 'black' } }).composite(placed).jpeg({ quality: 88 }).toFile(path);
  console.log(`wrote ${path}`);
}

// Stroke scale: a region at the frame's own pixels, so that stroke sizes compare as they render.
const region = { left: 400, top: 180, width: 480, height: 360 };
const scales = [1, 2, 4];
await row(await Promise.all((await Promise.all(scales.map((s) => stylized({ strokeScale: s })))).map((f, i) => panel(f, `--stroke-scale ${scales[i]}`, 480, region))), 'stroke-scale');

const intensities = [0.3, 0.6, 1];
await row(await Promise.all((await Promise.all(intensities.map((a) => stylized({ intensity: a })))).map((f, i) => panel(f, `--intensity ${intensities[i]}`, 426))), 'intensity');

const [off, on] = await Promise.all([stylized({}), stylized({ originalColors: true })]);
await row([await panel(frame, 'original', 426), await panel(off, 'stylized', 426), await panel(on, '--original-colors', 426)], 'original-colors');

// The upsampler: the same s = 4 render of the network brought back by a plain bilinear resize
// and by joint bilateral upsampling guided by the frame, a region 3x (nearest neighbour).
const small = areaDownscale(frame, ...Object.values(networkSize(frame.width, frame.height, 4)));
const net = await stylized({}, small);
const zoomed = { left: 560, top: 300, width: 160, height: 120 };
await row([
  await panel(frame, 'frame', 480, zoomed),
  await panel(bilinearUpsample(net, frame.width, frame.height), 's = 4, bilinear resize', 480, zoomed),
  await panel(jointBilateralUpsample(net, small, frame), 's = 4, joint bilateral (guided)', 480, zoomed),
], 'upsampler');
