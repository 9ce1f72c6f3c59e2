#!/usr/bin/env node
// Four renders of different clips on one machine at once: do they all finish, with the frames each
// makes alone, and how much memory do they take? node scripts/concurrent-renders.js [--renders 4]
// [--size 160x90] [--seconds 3] [--style wave] [--concurrency <n per render>]
// Runs the command line (dist/, so `npm run build` first), lossless (--crf 0), each clip first alone
// and then all at once; compares every frame by ffmpeg's framemd5 and samples each render's
// resident memory with the processes it starts, every 100 ms (docs/farm-faults.md).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuModel, treeRssMB } from './process-memory.js';

const { values: args } = parseArgs({
  options: {
    renders: { type: 'string', default: '4' },
    size: { type: 'string', default: '160x90' },
    seconds: { type: 'string', default: '3' },
    style: { type: 'string', default: 'wave' },
    concurrency: { type: 'string' },
  },
});
const lib = await import('../dist/index.js');
const ffmpeg = lib.ffmpegBinaries().ffmpeg;
const work = mkdtempSync(join(tmpdir(), 'stylize-concurrent-'));
const SOURCES = ['testsrc2', 'smptehdbars', 'mandelbrot', 'rgbtestsrc', 'testsrc', 'yuvtestsrc'];
const count = Number(args.renders);
const clips = Array.from({ length: count }, (_, i) => {
  const path = join(work, `clip-${i}.mp4`);
  const source = `${SOURCES[i % SOURCES.length]}=size=${args.size}:rate=24`;
  // A moving picture for every source: the still ones drift sideways.
  execFileSync(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-vf', `scroll=h=0.01`, '-t', args.seconds, '-c:v', 'libx264', '-crf', '16', '-pix_fmt', 'yuv444p', path]);
  return path;
});

const cli = join(import.meta.dirname, '..', 'bin', 'stylize-video.js');
const threads = args.concurrency ? ['--concurrency', args.concurrency] : [];
const render = (clip, output) =>
  new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('node', [cli, clip, '--style', args.style, '-o', output, '--crf', '0', '--quiet', ...threads], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const result = { peakMB: 0, pid: child.pid, stderr: '', seconds: 0, code: 0, current: 0 };
    const sampler = setInterval(() => {
      result.current = treeRssMB(child.pid);
      result.peakMB = Math.max(result.peakMB, result.current);
    }, 100);
    child.once('exit', (code) => {
      clearInterval(sampler);
      Object.assign(result, { code, stderr, seconds: (Date.now() - started) / 1000, current: 0 });
      resolve(result);
    });
    render.live.push(result);
  });
render.live = [];
const frameMd5 = (path) => execFileSync(ffmpeg, ['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').at(-1).trim());

const alone = [];
for (const [i, clip] of clips.entries()) alone.push({ ...(await render(clip, join(work, `alone-${i}.mp4`))), md5: undefined });
alone.forEach((r, i) => (r.md5 = r.code === 0 ? frameMd5(join(work, `alone-${i}.mp4`)) : []));

render.live = [];
let peakTotalMB = 0;
const total = setInterval(() => (peakTotalMB = Math.max(peakTotalMB, render.live.reduce((n, r) => n + r.current, 0))), 100);
const together = await Promise.all(clips.map((clip, i) => render(clip, join(work, `together-${i}.mp4`))));
clearInterval(total);

console.log(`${cpuModel()}; ${count} renders of ${args.seconds} s at ${args.size}, style ${args.style}, ${threads.length ? `${args.concurrency} thread(s) each` : 'default threads'}`);
let ok = true;
together.forEach((r, i) => {
  const same = r.code === 0 && alone[i].code === 0 && JSON.stringify(frameMd5(join(work, `together-${i}.mp4`))) === JSON.stringify(alone[i].md5);
  ok &&= same;
  console.log(`  ${SOURCES[i % SOURCES.length].padEnd(12)} alone: ${alone[i].seconds.toFixed(1)} s, peak ${alone[i].peakMB.toFixed(0)} MB; together: exit ${r.code}, ${r.seconds.toFixed(1)} s, peak ${r.peakMB.toFixed(0)} MB, ${alone[i].md5.length} frames ${same ? 'equal to alone' : 'DIFFERENT'}${r.code ? ` (${r.stderr.trim()})` : ''}`);
});
console.log(`together: peak of the sum ${peakTotalMB.toFixed(0)} MB, sum of the peaks ${together.reduce((n, r) => n + r.peakMB, 0).toFixed(0)} MB; all finished with equal frames: ${ok ? 'yes' : 'NO'}`);
rmSync(work, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
