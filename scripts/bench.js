#!/usr/bin/env node
// Throughput and memory benchmark: npm run bench -- [options]
//   --input <video>     default ../shared/media/big-buck-bunny-480p-30s.mp4, else samples/mandelbrot.mp4
//   --size <WxH>        scale the input to this size first (default 640x360; 'source' keeps it)
//   --frames <n>        frames to measure (default 24)
//   --style <name>      default wave; --model <dir> for another model folder
//   --concurrency <n>   inference threads (default: all cores)
//   --backend <name>    auto (default), onnx, wasm, cpu, node, gpu
//   --temporal <s>      temporal strength for the end-to-end run (default: the library's default)
//   --out <file.json>   where the figures go (default bench-results/<timestamp>.json)
// Each measurement runs in its own process so that peak memory (max RSS) is its own.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    input: { type: 'string' },
    size: { type: 'string', default: '640x360' },
    frames: { type: 'string', default: '24' },
    style: { type: 'string', default: 'wave' },
    model: { type: 'string' },
    concurrency: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    temporal: { type: 'string' },
    out: { type: 'string' },
    child: { type: 'string' },
    clip: { type: 'string' },
  },
});

const lib = await import('../dist/index.js');

if (args.child) {
  // One measurement, in a fresh process; prints one JSON line.
  const frames = Number(args.frames);
  const common = { style: args.style, modelDir: args.model, concurrency: args.concurrency, backend: args.backend };
  let figures;
  if (args.child === 'network') {
    const info = await lib.probeVideo(args.clip);
    const inputs = [];
    for await (const f of lib.decodeFrames(info)) inputs.push(f);
    const stylizer = await lib.createStylizer(common);
    await stylizer.stylize([inputs[0]]); // warm-up: wasm compiles its kernels on first use
    const t0 = performance.now();
    await Promise.all(inputs.map((f) => stylizer.stylize([f])));
    const seconds = (performance.now() - t0) / 1000;
    await stylizer.close();
    figures = { frames: inputs.length, seconds, secondsPerFrame: seconds / inputs.length, backend: stylizer.backend.name, threads: stylizer.concurrency };
  } else {
    const out = join(tmpdir(), `bench-${process.pid}.mp4`);
    const temporal = args.temporal === undefined ? undefined : Number(args.temporal);
    const result = await lib.stylizeVideo({ input: args.clip, output: out, style: args.style, model: args.model, concurrency: args.concurrency, backend: args.backend, temporal, overwrite: true });
    rmSync(out, { force: true });
    figures = { frames: result.frames, seconds: result.seconds, secondsPerFrame: result.seconds / result.frames, stageSeconds: result.stageSeconds, backend: result.backend };
  }
  figures.maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(figures) + '\n');
  process.exit(0);
}

const shared = new URL('../../shared/media/big-buck-bunny-480p-30s.mp4', import.meta.url).pathname;
const input = args.input ?? (existsSync(shared) ? shared : new URL('../samples/mandelbrot.mp4', import.meta.url).pathname);
const frames = Number(args.frames);
const work = mkdtempSync(join(tmpdir(), 'stylize-bench-'));
const clip = join(work, 'clip.mp4');
const scale = args.size === 'source' ? [] : ['-vf', `scale=${args.size.replace('x', ':')},setsar=1`];
execFileSync(lib.ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-i', input, ...scale, '-frames:v', String(frames), '-c:v', 'libx264', '-crf', '16', '-c:a', 'copy', '-shortest', clip]);

const child = (mode) => {
  const passOn = ['style', 'model', 'concurrency', 'temporal', 'backend'].flatMap((k) => (args[k] ? [`--${k}`, args[k]] : []));
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', mode, '--clip', clip, '--frames', String(frames), ...passOn], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
};

const info = await lib.probeVideo(clip);
console.log(`input ${input} → ${info.width}x${info.height}, ${info.frameCount} frames; ${availableParallelism()} cores (${cpus()[0].model})`);
const network = child('network');
console.log(`network only : ${network.secondsPerFrame.toFixed(3)} s/frame (${network.backend}, ${network.threads} thread(s)), max RSS ${network.maxRssMB.toFixed(0)} MB`);
const endToEnd = child('pipeline');
const perFrameMs = Object.fromEntries(Object.entries(endToEnd.stageSeconds).map(([k, v]) => [k, (1000 * v) / endToEnd.frames]));
const efficiency = network.seconds / network.frames / endToEnd.secondsPerFrame;
console.log(`end to end   : ${endToEnd.secondsPerFrame.toFixed(3)} s/frame = ${(1 / endToEnd.secondsPerFrame).toFixed(2)} fps, max RSS ${endToEnd.maxRssMB.toFixed(0)} MB`);
console.log(`stage ms/frame (orchestrator's view; stylize is summed over threads): ${Object.entries(perFrameMs).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
console.log(`pipeline efficiency (network-only time / end-to-end time): ${(100 * efficiency).toFixed(1)}%`);

const report = {
  date: new Date().toISOString(),
  input, size: `${info.width}x${info.height}`, frames: info.frameCount, style: args.model ?? args.style,
  cores: availableParallelism(), node: process.version,
  network, endToEnd, stageMsPerFrame: perFrameMs, pipelineEfficiency: efficiency,
};
const out = args.out ?? new URL(`../bench-results/${report.date.replace(/[:.]/g, '-')}.json`, import.meta.url).pathname;
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${out}`);
rmSync(work, { recursive: true, force: true });
