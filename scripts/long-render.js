#!/usr/bin/env node
// Does a long render stay flat? node scripts/long-render.js [--frames 3000] [--size 64x36] [--style wave] [--model <dir>]
// Renders a clip of that many frames (ffmpeg's testsrc2) through the command line (dist/, so run
// `npm run build` first) and samples the render's resident memory, the main process alone and with
// every process it starts, against the frames done (from --json progress). Prints the figures after
// the first few hundred frames and at the end, and their ratio (docs/farm-faults.md).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { cpuModel, rssMB, treeRssMB } from './process-memory.js';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '3000' },
    size: { type: 'string', default: '64x36' },
    style: { type: 'string', default: 'wave' },
    model: { type: 'string' },
    early: { type: 'string', default: '300' },
    temporal: { type: 'string', default: '0.9' },
  },
});
const frames = Number(args.frames);
const early = Number(args.early);
const lib = await import('../dist/index.js');
const work = mkdtempSync(join(tmpdir(), 'stylize-long-'));
const clip = join(work, 'long.mp4');
const fps = 24;
execFileSync(lib.ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${args.size}:rate=${fps}`, '-frames:v', String(frames), '-c:v', 'libx264', '-crf', '16', '-pix_fmt', 'yuv444p', clip]);

const style = args.model ? ['--model', args.model] : ['--style', args.style];
const cli = join(import.meta.dirname, '..', 'bin', 'stylize-video.js');
const child = spawn('node', [cli, clip, ...style, '-o', join(work, 'out.mp4'), '--temporal', args.temporal, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const samples = [];
const sample = (frame) => samples.push({ frame, main: rssMB(child.pid), tree: treeRssMB(child.pid) });
let lastFrame = 0;
let lastSampled = 0;
createInterface({ input: child.stdout }).on('line', (line) => {
  const event = JSON.parse(line);
  if (event.type !== 'progress') return;
  lastFrame = event.frame;
  // Every 100 frames, and the last progress event's figure stands for the end.
  if (event.frame - lastSampled >= 100 || event.frame === event.totalFrames) {
    lastSampled = event.frame;
    sample(event.frame);
  }
});
const code = await new Promise((resolve) => child.once('exit', resolve));
rmSync(work, { recursive: true, force: true });
if (code !== 0) {
  console.error(`the render failed (exit ${code})`);
  process.exit(1);
}
const first = samples.find((s) => s.frame >= early);
const last = samples.at(-1);
console.log(`${cpuModel()}; ${frames} frames at ${args.size}, ${args.model ? `model ${args.model}` : `style ${args.style}`}, temporal ${args.temporal}; ${lastFrame} frames written`);
for (const s of samples) console.log(`  frame ${String(s.frame).padStart(6)}: main ${s.main.toFixed(1)} MB, with its children ${s.tree.toFixed(1)} MB`);
const pct = (a, b) => `${(((b - a) / a) * 100).toFixed(1)}%`;
console.log(`after ${first.frame} frames: main ${first.main.toFixed(1)} MB (tree ${first.tree.toFixed(1)} MB); at ${last.frame}: main ${last.main.toFixed(1)} MB (tree ${last.tree.toFixed(1)} MB); change main ${pct(first.main, last.main)}, tree ${pct(first.tree, last.tree)}`);
