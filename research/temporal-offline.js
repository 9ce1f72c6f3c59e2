#!/usr/bin/env node
// The temporal stage alone on a per-frame render, encoded: node research/temporal-offline.js input.mp4 perframe.mp4 out.mp4 [--crf N] [--frames N] [--temporal S]
// perframe.mp4 is a lossless --no-temporal render of input.mp4 (--crf 0), so that variants of the
// stage are measured without running the network again; out.mp4 is encoded as the CLI encodes
// (libx264, yuv420p, CRF 18 unless --crf). Prints the CPU the stage took a frame.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ffmpegBinaries } from '../dist/ffmpeg.js';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { crf: { type: 'string', default: '18' }, frames: { type: 'string', default: '48' }, temporal: { type: 'string' } } });
const [input, stylizedPath, out] = positionals;
if (!input || !stylizedPath || !out) {
  console.error('usage: node research/temporal-offline.js input.mp4 perframe.mp4 out.mp4 [--crf N] [--frames N] [--temporal S]');
  process.exit(2);
}
const lib = await import('../dist/index.js');
const frameCount = Number(args.frames);
async function framesOf(path) {
  const info = await lib.probeVideo(path);
  const frames = [];
  for await (const frame of lib.decodeFrames(info, { startFrame: 0, frameCount })) frames.push(frame);
  return { frames, info };
}
const [{ frames: inputs, info }, { frames: stylized }] = await Promise.all([framesOf(input), framesOf(stylizedPath)]);
const { width, height } = inputs[0];
const fps = `${info.fps.num}/${info.fps.den}`;
const encoder = spawn(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', fps, '-i', '-', '-c:v', 'libx264', '-crf', args.crf, '-pix_fmt', 'yuv420p', out], { stdio: ['pipe', 'inherit', 'inherit'] });
const stage = await lib.createTemporalStage({ strength: args.temporal === undefined ? lib.DEFAULT_TEMPORAL_STRENGTH : Number(args.temporal) });
const count = Math.min(inputs.length, stylized.length);
let micros = 0;
for (let i = 0; i <= count; i++) {
  const before = process.cpuUsage();
  const finished = i < count ? stage.next(inputs[i], stylized[i]) : stage.end();
  const used = process.cpuUsage(before);
  micros += used.user + used.system;
  for (const f of finished) encoder.stdin.write(f.output.data);
}
encoder.stdin.end();
await new Promise((resolve) => encoder.on('close', resolve));
console.log(`${stage.name}: ${(micros / 1000 / count).toFixed(1)} ms of CPU a frame, ${count} frames of ${width}x${height}`);
