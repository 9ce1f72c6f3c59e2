#!/usr/bin/env node
// Makes the project's own sample clip from ffmpeg's synthetic sources, so a fresh clone has
// something to stylize: node scripts/make-samples.js
import { execFileSync } from 'node:child_process';
import { ffmpegBinaries } from '../dist/index.js';

const out = new URL('../samples/mandelbrot.mp4', import.meta.url).pathname;
execFileSync(ffmpegBinaries().ffmpeg, [
  '-v', 'error', '-y',
  '-f', 'lavfi', '-i', 'mandelbrot=size=640x360:rate=24:start_scale=2.5:end_scale=0.05:inner=period,format=yuv444p',
  '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000',
  '-t', '2', '-map', '0:v', '-map', '1:a',
  '-c:v', 'libx264', '-preset', 'slow', '-crf', '22', '-pix_fmt', 'yuv420p',
  '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart',
  out,
]);
console.log(`wrote ${out}`);
