#!/usr/bin/env node
// Does a render that makes many temporal stages (one per run of missing parts) keep its memory?
// node scripts/temporal-stages-memory.js [--stages 40] [--size 640x360]; `npm run build` first.
// Makes that many Farnebäck flow methods, as createTemporalStage does, computes one flow with each,
// and prints the resident memory every 10 (docs/farm-faults.md).
import { parseArgs } from 'node:util';
import { cpuModel } from './process-memory.js';

const { values: args } = parseArgs({ options: { stages: { type: 'string', default: '40' }, size: { type: 'string', default: '640x360' } } });
const { FARNEBACK_STAGE, farnebackFlow, loadOpenCv } = await import('../dist/temporal/farneback.js');
const cv = await loadOpenCv();
const [width, height] = args.size.split('x').map(Number);
const grey = () => ({ width, height, data: new Float32Array(width * height).map(() => Math.random()) });
const [a, b] = [grey(), grey()];
const rss = () => `${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`;
console.log(`${cpuModel()}; ${args.size}; before: ${rss()}`);
for (let i = 1; i <= Number(args.stages); i++) {
  farnebackFlow(cv, FARNEBACK_STAGE)(a, b);
  if (i % 10 === 0) console.log(`${i} stages: ${rss()}`);
}
