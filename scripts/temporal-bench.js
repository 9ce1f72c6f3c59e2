#!/usr/bin/env node
// The temporal stage alone, timed: npm run build && node scripts/temporal-bench.js --input clip.mp4 --stylized perframe.mp4
//   --input <video>      the frames the flow follows
//   --stylized <video>   the same frames stylized one by one (a --no-temporal render of --input)
//   --frames <n>         frames to run (default 48)
//   --temporal <s>       strength (default: the library's default)
//   --detail <gain>      the detail gain (default: the library's default; 1: none)
//   --repeat <n>         runs, each with a fresh stage (default 3)
//   --versus <dir>       also another checkout of the project, built (a git worktree at an older commit,
//                        after `npm ci && rm -rf dist && npm run build` there): each frame goes through both
//                        stages in turn, in one process, so the host's drift (10-40% over minutes on a shared
//                        host) falls on both alike; prints both and their difference per run. The CPU time is
//                        the process's, so a garbage collection one tree's allocations set off is charged to
//                        whichever runs then: the turns alternate to even that out, and differences in
//                        allocation show less than they cost
// Prints the CPU time the stage takes a frame (process.cpuUsage around its calls only) in each run
// and their median, split into the input analysis (the flows: what the flow workers take off the
// main thread in a render) and the rest (warp and blend: the stage's sequential part). The frames are decoded before the first run, so that neither decoding nor
// encoding is counted: the end-to-end benchmark (npm run bench) shows what the stage costs a render
// on a machine whose cores the network fills; this shows what changes in the stage itself save.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    input: { type: 'string' },
    stylized: { type: 'string' },
    frames: { type: 'string', default: '48' },
    temporal: { type: 'string' },
    detail: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    versus: { type: 'string' },
  },
});
if (!args.input || !args.stylized) {
  console.error('temporal-bench: give --input <video> and --stylized <its --no-temporal render>');
  process.exit(2);
}
if (args.versus && !existsSync(resolve(args.versus, 'dist/index.js'))) {
  console.error(`temporal-bench: ${args.versus} holds no build (dist/index.js): run npm ci && npm run build there`);
  process.exit(2);
}

/** A tree's stage, as the bench drives it: an older tree's stage computes its flows itself (before src/temporal/input-analysis.ts). */
async function treeAt(dir, label) {
  const lib = await import(pathToFileURL(resolve(dir, 'dist/index.js')).href);
  const analysisPath = pathToFileURL(resolve(dir, 'dist/temporal/input-analysis.js')).href;
  const ownAnalysis = existsSync(resolve(dir, 'src/temporal/input-analysis.ts')) ? await import(analysisPath) : undefined;
  const strength = args.temporal === undefined ? lib.DEFAULT_TEMPORAL_STRENGTH : Number(args.temporal);
  const detail = args.detail === undefined ? undefined : Number(args.detail);
  return {
    label,
    lib,
    async start() {
      if (!ownAnalysis) return { stage: await lib.createTemporalStage({ strength, detail }) };
      const stage = await lib.createTemporalStage({ strength, detail, analysedAhead: true });
      return { stage, analyser: ownAnalysis.analyseInThread(await ownAnalysis.cpuStageFlows()) };
    },
  };
}

const here = await treeAt(fileURLToPath(new URL('..', import.meta.url)), 'this tree');
const trees = args.versus ? [here, await treeAt(args.versus, args.versus)] : [here];
const frameCount = Number(args.frames);

async function framesOf(path) {
  const info = await here.lib.probeVideo(path);
  const frames = [];
  for await (const frame of here.lib.decodeFrames(info, { startFrame: 0, frameCount })) frames.push(frame);
  return frames;
}

const [inputs, stylized] = await Promise.all([framesOf(args.input), framesOf(args.stylized)]);
const count = Math.min(inputs.length, stylized.length);
if (!count || inputs[0].width !== stylized[0].width || inputs[0].height !== stylized[0].height) {
  console.error(`temporal-bench: ${args.stylized} must hold the frames of ${args.input} at its size (${inputs[0]?.width}x${inputs[0]?.height})`);
  process.exit(2);
}

const cpuMicros = (before) => {
  const used = process.cpuUsage(before);
  return used.user + used.system;
};
const perFrame = trees.map(() => []);
for (let run = 0; run < Number(args.repeat); run++) {
  const runs = [];
  for (const tree of trees) runs.push({ ...(await tree.start()), micros: 0, analysisMicros: 0, finished: 0 });
  for (let i = 0; i <= count; i++) {
    // the trees take turns, the first changing each frame
    for (let turn = 0; turn < runs.length; turn++) {
      const r = runs[(i + turn) % runs.length];
      let analysis;
      if (i < count && r.analyser) {
        r.analyser.add(inputs[i]);
        const before = process.cpuUsage();
        ({ analysis } = await r.analyser.take());
        r.analysisMicros += cpuMicros(before);
      }
      const before = process.cpuUsage();
      const out = i < count ? r.stage.next(inputs[i], stylized[i], analysis) : r.stage.end();
      r.micros += cpuMicros(before);
      r.finished += out.length;
    }
  }
  runs.forEach((r, t) => {
    if (r.finished !== count) throw new Error(`the stage of ${trees[t].label} finished ${r.finished} of ${count} frames`);
    perFrame[t].push((r.micros + r.analysisMicros) / 1000 / count);
    const split = r.analyser ? `: analysis ${(r.analysisMicros / 1000 / count).toFixed(1)}, warp+blend ${(r.micros / 1000 / count).toFixed(1)}` : ' (its flows inside)';
    console.log(`run ${run + 1}${trees.length > 1 ? `, ${trees[t].label}` : ''}: ${perFrame[t].at(-1).toFixed(1)} ms of CPU a frame${split} (${r.stage.name}, ${count} frames of ${inputs[0].width}x${inputs[0].height})`);
  });
  if (trees.length > 1) console.log(`run ${run + 1}: this tree less ${trees[1].label}: ${(perFrame[0].at(-1) - perFrame[1].at(-1)).toFixed(1)} ms of CPU a frame`);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
trees.forEach((tree, t) => console.log(`median over ${perFrame[t].length} runs${trees.length > 1 ? `, ${tree.label}` : ''}: ${median(perFrame[t]).toFixed(1)} ms of CPU a frame`));
if (trees.length > 1) console.log(`median difference, this tree less ${trees[1].label}: ${median(perFrame[0].map((v, r) => v - perFrame[1][r])).toFixed(1)} ms of CPU a frame`);
