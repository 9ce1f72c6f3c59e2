#!/usr/bin/env node
// What stroke scale's resamplings cost: a 1920x1080 frame brought down to the network's size and
// back up by joint bilateral upsampling, in CPU time (process.cpuUsage, so that a shared machine's
// other work does not count) and wall time, three times.
//   npm run build && node research/look-cost.js [scale]   (default 3)
import { areaDownscale, jointBilateralUpsample } from '../dist/stylize/joint-upsample.js';
import { networkSize } from '../dist/stylize/look.js';

const scale = Number(process.argv[2] ?? 3);
const W = 1920, H = 1080;
const data = new Uint8Array(W * H * 3).map((_, i) => (i * 7919) % 256);
const frame = { index: 0, width: W, height: H, data };
const { width, height } = networkSize(W, H, scale);
for (let run = 0; run < 3; run++) {
  const cpu0 = process.cpuUsage();
  let t = performance.now();
  const small = areaDownscale(frame, width, height);
  const down = performance.now() - t;
  t = performance.now();
  jointBilateralUpsample(small, small, frame);
  const up = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${W}x${H} → ${width}x${height} → back: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (wall: downscale ${down.toFixed(0)} ms, upsample ${up.toFixed(0)} ms)`);
}
