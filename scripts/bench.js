#!/usr/bin/env node
// Throughput and memory benchmark: npm run bench -- [options]
//   --input <video>     default ../shared/media/big-buck-bunny-480p-30s.mp4, else samples/mandelbrot.mp4
//   --size <WxH>        scale the input to this size first (default 640x360; 'source' keeps it)
//   --frames <n>        frames to measure (default 96: 4 s of video, so that what a run pays once weighs about a point)
//   --style <name>      default wave; a picture file for a picture style; --model <dir> for another model folder
//   --concurrency <n>   inference threads (default: all cores)
//   --backend <name>    auto (default), gpu (ONNX Runtime's WebGPU engine), onnx, wasm, cpu, node, tfjs-gpu
//   --batch <n>         frames per inference call (default: the backend's, 4 on gpu)
//   --precision <p>     fp32, int8 or auto (default: the library's default, fp32)
//   --versus <p>        also time the network alone at this precision, alternating with --precision,
//                       and print the speed ratio (e.g. --precision int8 --versus fp32)
//   --temporal <s>      temporal strength for the end-to-end run (default: the library's default)
//   --flow-workers <n>  threads computing the temporal stage's flow ahead (default: the library's; 0: in the main thread)
//   --stroke-scale <s>  the network at 1/s of the size, brought back guided by the frame (default 1; auto)
//   --intensity <a>     the stylized frame's share against the original (default 1)
//   --original-colors   the stylized luma with the input's chroma
//   --repeat <n>        measure n times, alternating, and report the median efficiency (default 1)
//   --out <file.json>   where the figures go (default bench-results/<timestamp>.json)
// Each measurement runs in its own process; peak memory is sampled over that process and every
// process it starts (inference processes, ffmpeg) every 50 ms.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { treeRssMB } from './process-memory.js';

const { values: args } = parseArgs({
  options: {
    input: { type: 'string' },
    size: { type: 'string', default: '640x360' },
    frames: { type: 'string', default: '96' },
    style: { type: 'string', default: 'wave' },
    model: { type: 'string' },
    concurrency: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    temporal: { type: 'string' },
    precision: { type: 'string' },
    versus: { type: 'string' },
    out: { type: 'string' },
    child: { type: 'string' },
    clip: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    batch: { type: 'string' },
    'flow-workers': { type: 'string' },
    'stroke-scale': { type: 'string' },
    intensity: { type: 'string' },
    'original-colors': { type: 'boolean' },
  },
});

// As the tests do: the shared models folder beside the project stands in for the download cache.
const sharedModels = new URL('../../shared/models', import.meta.url).pathname;
if (!process.env.STYLIZE_VIDEO_MODELS && existsSync(join(sharedModels, 'wave', 'manifest.json'))) process.env.STYLIZE_VIDEO_MODELS = sharedModels;

const lib = await import('../dist/index.js');

/** Seconds per frame between the frame an eighth of the way in and the last, from [frames done, seconds] pairs. */
function steadyRate(done) {
  const [from, to] = [done[Math.floor(done.length / 8)], done.at(-1)];
  return { steadySecondsPerFrame: (to[1] - from[1]) / (to[0] - from[0]), steadyFrom: from[0] };
}

if (args.child) {
  // One measurement, in a fresh process; prints one JSON line.
  const frames = Number(args.frames);
  const batch = args.batch === undefined ? undefined : Number(args.batch);
  const common = { style: args.style, modelDir: args.model, concurrency: args.concurrency, backend: args.backend, precision: args.precision, batch };
  // The look as the library resolves it: `auto` stays auto, the stylizer picks the scale per frame.
  const strokeScale = args['stroke-scale'] === undefined ? undefined : args['stroke-scale'] === 'auto' ? 'auto' : Number(args['stroke-scale']);
  const intensity = args.intensity === undefined ? undefined : Number(args.intensity);
  const originalColors = args['original-colors'];
  const look = { ...lib.PLAIN_LOOK, ...(strokeScale !== undefined && { strokeScale }), ...(intensity !== undefined && { intensity }), ...(originalColors && { originalColors }) };
  let figures;
  if (args.child === 'network') {
    const info = await lib.probeVideo(args.clip);
    const inputs = [];
    for await (const f of lib.decodeFrames(info)) inputs.push(f);
    // Timed as the pipeline is: from starting the inference processes to the last frame, the
    // first (slower) inference included; `finished` marks when each frame came back.
    const t0 = performance.now();
    const stylizer = await lib.createStylizer({ ...common, frameSize: info, look });
    const finished = [];
    // In the stylizer's batches, as the pipeline sends them.
    const batches = [];
    for (let i = 0; i < inputs.length; i += stylizer.batchSize) batches.push(inputs.slice(i, i + stylizer.batchSize));
    await Promise.all(batches.map((b) => stylizer.stylize(b).then(() => { for (const _ of b) finished.push((performance.now() - t0) / 1000); })));
    const seconds = (performance.now() - t0) / 1000;
    await stylizer.close();
    figures = { frames: inputs.length, seconds, secondsPerFrame: seconds / inputs.length, backend: stylizer.backend.name, adapter: stylizer.backend.adapter, batch: stylizer.batchSize, precision: stylizer.precision.name, threads: stylizer.concurrency, ...steadyRate(finished.map((t, i) => [i + 1, t])) };
  } else {
    const out = join(tmpdir(), `bench-${process.pid}.mp4`);
    const temporal = args.temporal === undefined ? undefined : Number(args.temporal);
    const flowWorkers = args['flow-workers'] === undefined ? undefined : Number(args['flow-workers']);
    // When each frame came out of the pipeline: the steady rate in between leaves out what a run
    // pays once (inference processes starting, the first inference, the final join with audio).
    const written = [];
    let started;
    const onEvent = (e) => (e.type === 'progress' ? written.push([e.frame, e.elapsedSeconds]) : e.type === 'start' && (started = e));
    const result = await lib.stylizeVideo({ input: args.clip, output: out, style: args.style, model: args.model, concurrency: args.concurrency, backend: args.backend, precision: args.precision, batch, temporal, flowWorkers, strokeScale, intensity, originalColors, overwrite: true, onEvent });
    rmSync(out, { force: true });
    figures = {
      frames: result.frames, seconds: result.seconds, secondsPerFrame: result.seconds / result.frames, stageSeconds: result.stageSeconds, backend: result.backend, adapter: started?.backend?.adapter, batch: started?.batch, precision: result.precision, flowWorkers: started?.flowWorkers,
      ...steadyRate(written), firstFrameSeconds: written[0][1], afterLastFrameSeconds: result.seconds - written.at(-1)[1],
    };
  }
  figures.maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(figures) + '\n');
  process.exit(0);
}

const shared = new URL('../../shared/media/big-buck-bunny-480p-30s.mp4', import.meta.url).pathname;
const input = args.input ?? (existsSync(shared) ? shared : new URL('../samples/mandelbrot.mp4', import.meta.url).pathname);
const frames = Number(args.frames);
const repeat = Number(args.repeat);
const work = mkdtempSync(join(tmpdir(), 'stylize-bench-'));
const clip = join(work, 'clip.mp4');
const scale = args.size === 'source' ? [] : ['-vf', `scale=${args.size.replace('x', ':')},setsar=1`];
execFileSync(lib.ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-i', input, ...scale, '-frames:v', String(frames), '-c:v', 'libx264', '-crf', '16', '-c:a', 'copy', '-shortest', clip]);


// Runs one measurement in its own process, sampling the whole process tree's memory as it goes.
const child = (mode, precision = args.precision) =>
  new Promise((resolve, reject) => {
    const passOn = ['style', 'model', 'concurrency', 'temporal', 'backend', 'batch', 'flow-workers', 'stroke-scale', 'intensity'].flatMap((k) => (args[k] ? [`--${k}`, args[k]] : []));
    if (args['original-colors']) passOn.push('--original-colors');
    if (precision) passOn.push('--precision', precision);
    const proc = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child', mode, '--clip', clip, '--frames', String(frames), ...passOn], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    let peakTreeMB = 0;
    const sampler = setInterval(() => (peakTreeMB = Math.max(peakTreeMB, treeRssMB(proc.pid))), 50);
    proc.on('exit', (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`${mode} run failed: ${stderr}`));
      resolve({ ...JSON.parse(stdout.trim().split('\n').at(-1)), peakTreeMB });
    });
  });

const info = await lib.probeVideo(clip);
console.log(`input ${input} → ${info.width}x${info.height}, ${info.frameCount} frames; stroke scale ${args["stroke-scale"] ?? 1}; ${availableParallelism()} cores (${cpus()[0].model})`);
// Network-only and end-to-end runs alternate, so that a slower spell of a shared machine falls on both.
const runs = [];
for (let r = 1; r <= repeat; r++) {
  if (repeat > 1) console.log(`run ${r} of ${repeat}`);
  const versus = args.versus ? await child('network', args.versus) : undefined;
  if (versus) console.log(`network only, ${versus.precision}: ${versus.secondsPerFrame.toFixed(3)} s/frame = ${(1 / versus.secondsPerFrame).toFixed(2)} fps, steady state ${versus.steadySecondsPerFrame.toFixed(3)} s/frame`);
  const network = await child('network');
  if (versus) console.log(`network only, ${network.precision}: ${network.secondsPerFrame.toFixed(3)} s/frame = ${(1 / network.secondsPerFrame).toFixed(2)} fps, steady state ${network.steadySecondsPerFrame.toFixed(3)} s/frame: ${(versus.secondsPerFrame / network.secondsPerFrame).toFixed(2)}x the frames/second of ${versus.precision} (steady ${(versus.steadySecondsPerFrame / network.steadySecondsPerFrame).toFixed(2)}x)`);
  console.log(`network only : ${network.secondsPerFrame.toFixed(3)} s/frame (${network.backend}${network.adapter ? ` on ${network.adapter}` : ''}, batch ${network.batch}, ${network.precision}, ${network.threads} worker(s)), peak memory ${network.peakTreeMB.toFixed(0)} MB (all processes; main alone ${network.maxRssMB.toFixed(0)} MB)`);
  console.log(`               steady state ${network.steadySecondsPerFrame.toFixed(3)} s/frame (frames ${network.steadyFrom}-${network.frames})`);
  const endToEnd = await child('pipeline');
  const perFrameMs = Object.fromEntries(Object.entries(endToEnd.stageSeconds).map(([k, v]) => [k, (1000 * v) / endToEnd.frames]));
  const efficiency = network.secondsPerFrame / endToEnd.secondsPerFrame;
  const steadyEfficiency = network.steadySecondsPerFrame / endToEnd.steadySecondsPerFrame;
  console.log(`end to end   : ${endToEnd.secondsPerFrame.toFixed(3)} s/frame = ${(1 / endToEnd.secondsPerFrame).toFixed(2)} fps (${endToEnd.backend}${endToEnd.adapter ? ` on ${endToEnd.adapter}` : ''}, batch ${endToEnd.batch}), peak memory ${endToEnd.peakTreeMB.toFixed(0)} MB (all processes, ffmpeg included; main alone ${endToEnd.maxRssMB.toFixed(0)} MB)`);
  console.log(`               of which once per run: ${endToEnd.firstFrameSeconds.toFixed(2)} s to the first frame out (inference processes start, first inference), ${endToEnd.afterLastFrameSeconds.toFixed(2)} s after the last (encoder flush, join, audio)`);
  console.log(`               steady state ${endToEnd.steadySecondsPerFrame.toFixed(3)} s/frame (frames ${endToEnd.steadyFrom}-${endToEnd.frames})`);
  const ms = (k) => perFrameMs[k].toFixed(1);
  const flowWhere = endToEnd.flowWorkers === undefined ? 'temporal off' : endToEnd.flowWorkers ? `${endToEnd.flowWorkers} flow worker(s)` : 'flow in the main thread';
  console.log(`ms/frame (orchestrator's view, ${flowWhere}): decode ${ms('decode')}, network ${ms('stylizeWall')} wall (${ms('stylize')} summed over batches), flow ${ms('flow')} (main thread waited ${ms('flowWait')}), warp+blend ${ms('temporal')}, encode ${ms('encode')}`);
  console.log(`pipeline efficiency (network-only time / end-to-end time): ${(100 * efficiency).toFixed(1)}% over the whole run, ${(100 * steadyEfficiency).toFixed(1)}% in steady state`);
  runs.push({ versus, network, endToEnd, stageMsPerFrame: perFrameMs, pipelineEfficiency: efficiency, steadyStateEfficiency: steadyEfficiency });
}
const median = (values) => values.sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)];
if (repeat > 1) {
  const whole = runs.map((r) => r.pipelineEfficiency), steady = runs.map((r) => r.steadyStateEfficiency);
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  if (args.versus) {
    const ratios = runs.map((r) => r.versus.secondsPerFrame / r.network.secondsPerFrame);
    console.log(`over ${repeat} runs, network-only speed ${args.precision} / ${args.versus}: median ${median([...ratios]).toFixed(2)}x (${ratios.map((v) => v.toFixed(2)).join(', ')})`);
  }
  console.log(`over ${repeat} runs, pipeline efficiency: whole run median ${pct(median([...whole]))} (${whole.map(pct).join(', ')}); steady state median ${pct(median([...steady]))} (${steady.map(pct).join(', ')})`);
}

const report = {
  date: new Date().toISOString(),
  input, size: `${info.width}x${info.height}`, frames: info.frameCount, style: args.model ?? args.style,
  strokeScale: args['stroke-scale'] ?? 1, intensity: args.intensity ?? 1, originalColors: !!args['original-colors'],
  cores: availableParallelism(), node: process.version,
  ...runs[0],
  runs,
  medianPipelineEfficiency: median(runs.map((r) => r.pipelineEfficiency)),
  medianSteadyStateEfficiency: median(runs.map((r) => r.steadyStateEfficiency)),
};
const out = args.out ?? new URL(`../bench-results/${report.date.replace(/[:.]/g, '-')}.json`, import.meta.url).pathname;
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${out}`);
rmSync(work, { recursive: true, force: true });
