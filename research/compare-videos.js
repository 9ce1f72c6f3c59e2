#!/usr/bin/env node
// Frame-by-frame RGB PSNR between two videos of the same size, as used for the shard, join and
// resume figures: node research/compare-videos.js <a> <b> [--json]
import { parseArgs } from 'node:util';
import { decodeFrames, probeVideo } from '../dist/index.js';
import { psnr } from '../dist/metrics/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean' } } });
const [a, b] = positionals;
if (!a || !b) {
  console.error('usage: node research/compare-videos.js <a> <b> [--json]');
  process.exit(2);
}
const [infoA, infoB] = await Promise.all([probeVideo(a), probeVideo(b)]);
if (infoA.width !== infoB.width || infoA.height !== infoB.height) {
  console.error(`sizes differ: ${infoA.width}x${infoA.height} and ${infoB.width}x${infoB.height}`);
  process.exit(1);
}
const framesA = decodeFrames(infoA)[Symbol.asyncIterator]();
const framesB = decodeFrames(infoB)[Symbol.asyncIterator]();
const scores = [];
let countA = 0;
let countB = 0;
for (;;) {
  const [x, y] = await Promise.all([framesA.next(), framesB.next()]);
  if (!x.done) countA++;
  if (!y.done) countB++;
  if (x.done || y.done) {
    // Count what is left of the longer one.
    const rest = x.done ? framesB : framesA;
    while (!(await rest.next()).done) x.done ? countB++ : countA++;
    break;
  }
  scores.push(psnr(x.value.data, y.value.data));
}
const finite = scores.map((s) => Math.min(s, 99));
const worst = finite.indexOf(Math.min(...finite));
const report = {
  frames: [countA, countB],
  audio: [infoA.hasAudio, infoB.hasAudio],
  meanPsnr: finite.reduce((s, v) => s + v, 0) / finite.length,
  minPsnr: finite[worst],
  minPsnrFrame: worst,
  perFrame: finite.map((s) => Number(s.toFixed(2))),
};
if (values.json) console.log(JSON.stringify(report));
else {
  console.log(`frames ${countA} / ${countB}, audio ${infoA.hasAudio} / ${infoB.hasAudio}`);
  console.log(`PSNR mean ${report.meanPsnr.toFixed(2)} dB, min ${report.minPsnr.toFixed(2)} dB at frame ${worst} (99 = identical)`);
  console.log(report.perFrame.join(' '));
}
