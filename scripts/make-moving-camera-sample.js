#!/usr/bin/env node
// Makes samples/moving-camera.jpg: one frame of a handheld clip, stylized frame by frame
// (--no-temporal), beside the temporal stage as it was when the stage-and-sharp issue was filed
// (one frame ahead, --detail 1: the blend as it is; through today's flows) and the stage at its defaults, whole and a region 3x, with each stage frame's fine
// detail kept (the stability judge's detail_vs_ref for one frame: energy of
// grey minus its Gaussian blur at sigma 1.5, over the per-frame frame's).
//   npm run build && node scripts/make-moving-camera-sample.js [video] [frame] [style]
// Defaults: ../shared/media/footage/bedroom-jumping-moving-camera.mp4 beside the repository, frame
// 30, wave; 640 wide as the judge's figures (docs/temporal-detail.md). The models come as for any
// render ($STYLIZE_VIDEO_MODELS, the cache, or a download).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { builtInPicture, createStylizer, createTemporalStage, decodeFrames, DEFAULT_TEMPORAL_STRENGTH, isStyleImage, OPTIONS, PLAIN_LOOK, probeVideo } from '../dist/index.js';
import { createTemporalStageWith } from '../dist/temporal/index.js';
import { panel } from './sample-panels.js';

const root = new URL('..', import.meta.url).pathname;
const sharedModels = join(root, '..', 'shared', 'models');
if (!process.env.STYLIZE_VIDEO_MODELS && existsSync(sharedModels)) process.env.STYLIZE_VIDEO_MODELS = sharedModels;
const [video = join(root, '..', 'shared', 'media', 'footage', 'bedroom-jumping-moving-camera.mp4'), frameText = '30', styleName = 'wave'] = process.argv.slice(2);
const style = isStyleImage(styleName) ? styleName : (builtInPicture(styleName) ?? styleName);
const shown = Number(frameText);
const GAP = 6;

const info = await probeVideo(video);
const size = { width: 640, height: 2 * Math.round((640 * info.height) / info.width / 2) };
const stylizer = await createStylizer({ style, backend: 'onnx', frameSize: size, look: PLAIN_LOOK });
// the stage as it was (one frame ahead, through the research hook; the blend as it is), and as it renders by default
const stages = [await createTemporalStageWith({ strength: DEFAULT_TEMPORAL_STRENGTH, detail: 1 }, { ahead: { frames: 1 } }), await createTemporalStage({ strength: DEFAULT_TEMPORAL_STRENGTH })];
const staged = [];
let perFrame;
try {
  // the stages hold frames back for their look-ahead: that many past the shown one finish it
  for await (const input of decodeFrames(info, { startFrame: 0, frameCount: shown + 1 + Math.max(...stages.map((stage) => stage.lookahead)), size })) {
    const [own] = await stylizer.stylize([input]);
    const stylized = { ...own, data: Uint8Array.from(own.data) }; // the stylizer may reuse its buffer; the stage holds a frame
    if (input.index === shown) perFrame = stylized;
    stages.forEach((stage, i) => {
      for (const { output } of stage.next(input, stylized)) if (output.index === shown) staged[i] = output;
    });
  }
} finally {
  await stylizer.close();
}

/** Fine-detail energy, as the judge measures it: mean square of the grey image (BT.601, rounded) less its Gaussian blur at sigma 1.5 (13 taps, edges mirrored). */
function detailEnergy(f) {
  const { width, height, data } = f;
  const grey = new Float64Array(width * height);
  for (let k = 0, i = 0; k < grey.length; k++, i += 3) grey[k] = Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
  const taps = Array.from({ length: 13 }, (_, j) => Math.exp(-((j - 6) ** 2) / (2 * 1.5 ** 2)));
  const total = taps.reduce((a, b) => a + b, 0);
  const mirror = (i, n) => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const across = new Float64Array(grey.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let j = 0; j < 13; j++) v += taps[j] * grey[y * width + mirror(x + j - 6, width)];
      across[y * width + x] = v / total;
    }
  let sum = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let j = 0; j < 13; j++) v += taps[j] * across[mirror(y + j - 6, height) * width + x];
      sum += (grey[y * width + x] - v / total) ** 2;
    }
  return sum / grey.length;
}
const [blendDetail, defaultDetail] = staged.map((f) => detailEnergy(f) / detailEnergy(perFrame));

const region = { left: Math.round(size.width / 2 - 80), top: Math.round(size.height / 2 - 60), width: 160, height: 120 };
const columns = 3;
const panels = [
  await panel(perFrame, `${styleName}, per frame, frame ${shown}`, 420),
  await panel(staged[0], `before: 1 frame ahead, --detail 1: detail ${blendDetail.toFixed(2)}`, 420),
  await panel(staged[1], `default: ${stages[1].lookahead} frames ahead, --detail ${OPTIONS.detail.default}: detail ${defaultDetail.toFixed(2)}`, 420),
  await panel(perFrame, 'per frame, centre 3x', 420, region),
  await panel(staged[0], 'before, centre 3x', 420, region),
  await panel(staged[1], 'default, centre 3x', 420, region),
];
const metas = await Promise.all(panels.map((p) => sharp(p).metadata()));
const width = metas[0].width;
const rowHeights = [0, 1].map((row) => Math.max(...metas.slice(row * columns, (row + 1) * columns).map((m) => m.height)));
const placed = panels.map((p, i) => ({ input: p, left: (i % columns) * (width + GAP), top: i < columns ? 0 : rowHeights[0] + GAP }));
const path = join(root, 'samples', 'moving-camera.jpg');
await sharp({ create: { width: columns * width + (columns - 1) * GAP, height: rowHeights[0] + GAP + rowHeights[1], channels: 3, background: 'black' } }).composite(placed).jpeg({ quality: 85 }).toFile(path);
console.log(`wrote ${path}: frame ${shown}, of the per-frame fine detail the stage before keeps ${blendDetail.toFixed(2)}, the stage at its defaults ${defaultDetail.toFixed(2)}`);
