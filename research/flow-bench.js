#!/usr/bin/env node
// Optical flow accuracy and speed: npm run build && node research/flow-bench.js [options]
//   --data <dir>       pairs with ground truth (default: $STYLIZE_VIDEO_FLOW_GT; its README describes them)
//   --methods <list>   comma-separated among lk, dis-fast, dis-medium (the default), dis-fine, dis-best,
//                      dis-best-half-size,
//                      dis (with --options) (default: all but dis)
//   --options <json>   DIS options for the method 'dis' (e.g. '{"patchStride":5,"iterations":10}')
//   --repeat <n>       timed flows per method at 320x180 (default 30); the median is reported
//   --sintel           also measure the Sintel pairs (default on; --no-sintel to skip)
// Per method: mean end-point error (px) on the 8 Middlebury pairs at full size and on the temporal
// stage's route (the frames reduced as flowImage does, flow there, resizeFlow back up, error measured
// at full size), on the 6 Sintel pairs at full size (invalid pixels excluded), and ms per flow at
// 320x180 on this thread, wall clock and CPU (each timed flow gets fresh frames, so it pays for both
// pyramids, which the temporal stage builds once per frame for four flows).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { opticalFlow } from '../dist/metrics/lucas-kanade.js';
import { toGray } from '../dist/temporal/image.js';
import { resizeFlow } from '../dist/temporal/warp.js';
import { disFlow, DIS_STAGE } from '../dist/temporal/dis-flow.js';
import { endPointError, readFlo } from '../dist/temporal/flo.js';
import { flowImage } from '../dist/temporal/motion.js';

// DIS settings measured here (docs/temporal-method.md, Flow); the stage uses DIS_STAGE, "best half size".
const BEST = { patchStride: 3, iterations: 3, variationalIterations: 5, sorIterations: 5, finestVariationalIterations: 5, finestSorIterations: 5, alpha: 20, gamma: 10 };
const DIS_PRESETS = {
  fast: { finestScale: 1, finestVariationalIterations: 3 },
  medium: {},
  fine: { patchStride: 4, variationalIterations: 5, finestVariationalIterations: 1, finestSorIterations: 2 },
  best: BEST,
  bestHalfSize: DIS_STAGE,
};

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.STYLIZE_VIDEO_FLOW_GT },
    methods: { type: 'string', default: 'lk,dis-fast,dis-medium,dis-fine,dis-best,dis-best-half-size' },
    options: { type: 'string', default: '{}' },
    repeat: { type: 'string', default: '30' },
    sintel: { type: 'boolean', default: true },
  },
  allowNegative: true,
});

if (!args.data) {
  console.error('flow-bench: give --data <dir> or set STYLIZE_VIDEO_FLOW_GT: the folder of flow pairs with ground truth (middlebury-*, sintel-*)');
  process.exit(2);
}
if (!existsSync(args.data)) {
  console.error(`flow-bench: no ground truth at ${args.data}: give --data the folder of flow pairs (middlebury-*, sintel-*)`);
  process.exit(1);
}

const custom = JSON.parse(args.options);
const METHODS = {
  lk: (a, b) => opticalFlow(a, b),
  'dis-fast': (a, b) => disFlow(a, b, DIS_PRESETS.fast),
  'dis-medium': (a, b) => disFlow(a, b, DIS_PRESETS.medium),
  'dis-fine': (a, b) => disFlow(a, b, DIS_PRESETS.fine),
  'dis-best': (a, b) => disFlow(a, b, DIS_PRESETS.best),
  'dis-best-half-size': (a, b) => disFlow(a, b, DIS_PRESETS.bestHalfSize),
  dis: (a, b) => disFlow(a, b, custom),
};

async function rgb(path) {
  const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { index: 0, width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

async function mask(path) {
  const { data } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  return Uint8Array.from(data, (x) => (x > 127 ? 1 : 0));
}

async function loadPairs() {
  const pairs = [];
  for (const name of readdirSync(args.data).sort()) {
    const dir = join(args.data, name);
    if (name.startsWith('middlebury-')) {
      pairs.push({ set: 'middlebury', name, a: await rgb(join(dir, 'frame10.png')), b: await rgb(join(dir, 'frame11.png')), truth: readFlo(readFileSync(join(dir, 'flow10.flo'))) });
    } else if (name.startsWith('sintel-') && args.sintel) {
      pairs.push({ set: 'sintel', name, a: await rgb(join(dir, 'frame_0002.png')), b: await rgb(join(dir, 'frame_0003.png')), truth: readFlo(readFileSync(join(dir, 'flow_0002.flo'))), exclude: await mask(join(dir, 'invalid_0002.png')) });
    }
  }
  return pairs;
}

const gray = (frame) => toGray(frame.data, frame.width, frame.height);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

/** Two 320x180 frames (Sintel alley_1, else the first pair), as the stage sees 640x360 video. */
async function timingFrames(pairs) {
  const pair = pairs.find((p) => p.name === 'sintel-clean-alley_1') ?? pairs[0];
  const dir = join(args.data, pair.name);
  const files = pair.set === 'sintel' ? ['frame_0002.png', 'frame_0003.png'] : ['frame10.png', 'frame11.png'];
  const frames = [];
  for (const file of files) {
    const { data } = await sharp(join(dir, file)).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    frames.push(flowImage({ index: 0, width: 640, height: 360, data: new Uint8Array(data) }));
  }
  return frames;
}

/**
 * Each method's median time per flow, wall clock and CPU (this process's user + system time, which
 * other processes on a busy machine inflate less), the methods taking turns so that they share
 * whatever load the machine is under.
 */
function timeFlows(methods, [a, b], repeat) {
  const copy = (g) => ({ width: g.width, height: g.height, data: g.data.slice() });
  for (const method of methods) for (let i = 0; i < 3; i++) method(copy(a), copy(b)); // warm up the JIT
  const wall = methods.map(() => []), cpu = methods.map(() => []);
  for (let i = 0; i < repeat; i++)
    methods.forEach((method, k) => {
      const x = copy(a), y = copy(b);
      const start = performance.now(), usage = process.cpuUsage();
      method(x, y);
      const used = process.cpuUsage(usage);
      wall[k].push(performance.now() - start);
      cpu[k].push((used.user + used.system) / 1000);
    });
  return methods.map((_, k) => ({ wall: median(wall[k]), cpu: median(cpu[k]) }));
}

const pairs = await loadPairs();
const [ta, tb] = await timingFrames(pairs);
console.log(`node ${process.version}, ${pairs.length} pairs, timing at ${ta.width}x${ta.height} (median of ${args.repeat})`);
const rows = [];
for (const key of args.methods.split(',')) {
  const method = METHODS[key];
  if (!method) throw new Error(`unknown method ${key}`);
  const full = [], route = [], sintel = [];
  const detail = [];
  for (const pair of pairs) {
    const a = gray(pair.a), b = gray(pair.b);
    const epe = endPointError(method(a, b), pair.truth, pair.exclude);
    if (pair.set === 'sintel') {
      sintel.push(epe);
      detail.push(`${pair.name.replace('sintel-', '')} ${epe.toFixed(2)}`);
      continue;
    }
    full.push(epe);
    const sa = flowImage(pair.a), sb = flowImage(pair.b);
    const up = resizeFlow(method(sa, sb), pair.a.width, pair.a.height);
    const r = endPointError(up, pair.truth);
    route.push(r);
    detail.push(`${pair.name.replace('middlebury-', '')} ${epe.toFixed(2)}/${r.toFixed(2)}`);
  }
  rows.push({ key, method, full: mean(full), route: mean(route), sintel: sintel.length ? mean(sintel) : NaN });
  console.log(`${key}: ${detail.join(', ')}`);
}
const times = timeFlows(rows.map((r) => r.method), [ta, tb], Number(args.repeat));
console.log('\n| method | Middlebury EPE full | Middlebury EPE route | Sintel EPE | ms/flow 320x180 (wall) | (CPU) |\n| --- | --- | --- | --- | --- | --- |');
rows.forEach((r, k) => console.log(`| ${r.key} | ${r.full.toFixed(3)} | ${r.route.toFixed(3)} | ${r.sintel.toFixed(2)} | ${times[k].wall.toFixed(1)} | ${times[k].cpu.toFixed(1)} |`));
if (args.methods.split(',').includes('dis')) console.log(`\ndis options: ${JSON.stringify(custom)}`);
