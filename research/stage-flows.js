#!/usr/bin/env node
// The temporal stage's own backward flows for a clip, resized to the frame's size as the stage's
// warp resizes them, as raw float32 (dx, dy per pixel, one frame pair after another), for
// research/flow-carry.py: node research/stage-flows.js clip.mp4 flows.f32 [--frames N]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { frames: { type: 'string', default: '48' } } });
const [clip, out] = positionals;
if (!clip || !out) {
  console.error('usage: node research/stage-flows.js clip.mp4 flows.f32 [--frames N]');
  process.exit(2);
}
const lib = await import('../dist/index.js');
const { analyseInput, cpuStageFlows } = await import('../dist/temporal/input-analysis.js');
const { resizeFlow } = await import('../dist/temporal/warp.js');
const info = await lib.probeVideo(clip);
const flows = await cpuStageFlows();
const pairs = [];
let previous;
for await (const frame of lib.decodeFrames(info, { startFrame: 0, frameCount: Number(args.frames) })) {
  const analysis = analyseInput(frame, previous, flows);
  if (analysis.pair) pairs.push(Buffer.from(resizeFlow(analysis.pair.back.backward, frame.width, frame.height).data.buffer));
  previous = analysis.gray;
}
writeFileSync(out, Buffer.concat(pairs));
console.log(`${pairs.length} flows of ${info.width}x${info.height} in ${out}`);
