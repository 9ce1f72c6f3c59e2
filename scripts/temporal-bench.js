#!/usr/bin/env node
// The temporal stage alone, timed: npm run build && node scripts/temporal-bench.js --input clip.mp4 --stylized perframe.mp4
//   --input <video>      the frames the flow follows
//   --stylized <video>   the same frames stylized one by one (a --no-temporal render of --input)
//   --frames <n>         frames to run (default 48)
//   --temporal <s>       strength (default: the library's default)
//   --detail <gain>      the detail gain (default: the library's default; 1: none)
//   --repeat <n>         runs, each with a fresh stage (default 3)
// Prints the CPU time the stage takes a frame (process.cpuUsage around its calls only) in each run
// and their median, split into the input analysis (the flows: what the flow workers take off the
// main thread in a render) and the rest (warp and blend: the stage's sequential part). The frames are decoded before the first run, so that neither decoding nor
// encoding is counted: the end-to-end benchmark (npm run bench) shows what the stage costs a render
// on a machine whose cores the network fills; this shows what changes in the stage itself save.
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    input: { type: 'string' },
    stylized: { type: 'string' },
    frames: { type: 'string', default: '48' },
    temporal: { type: 'string' },
    detail: { type: 'string' },
    repeat: { type: 'string', default: '3' },
  },
});
if (!args.input || !args.stylized) {
  console.error('temporal-bench: give --input <video> and --stylized <its --no-temporal render>');
  process.exit(2);
}

const lib = await import('../dist/index.js');
const { analyseInThread, cpuStageFlows } = await import('../dist/temporal/input-analysis.js');
const frameCount = Number(args.frames);
const strength = args.temporal === undefined ? lib.DEFAULT_TEMPORAL_STRENGTH : Number(args.temporal);

async function framesOf(path) {
  const info = await lib.probeVideo(path);
  const frames = [];
  for await (const frame of lib.decodeFrames(info, { startFrame: 0, frameCount })) frames.push(frame);
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
const perFrame = [];
for (let run = 0; run < Number(args.repeat); run++) {
  const stage = await lib.createTemporalStage({ strength, detail: args.detail === undefined ? undefined : Number(args.detail), analysedAhead: true });
  const analyser = analyseInThread(await cpuStageFlows());
  let micros = 0;
  let analysisMicros = 0;
  let finished = 0;
  for (let i = 0; i <= count; i++) {
    let analysis;
    if (i < count) {
      analyser.add(inputs[i]);
      const before = process.cpuUsage();
      ({ analysis } = await analyser.take());
      analysisMicros += cpuMicros(before);
    }
    const before = process.cpuUsage();
    const out = i < count ? stage.next(inputs[i], stylized[i], analysis) : stage.end();
    micros += cpuMicros(before);
    finished += out.length;
  }
  if (finished !== count) throw new Error(`the stage finished ${finished} of ${count} frames`);
  perFrame.push((micros + analysisMicros) / 1000 / count);
  console.log(`run ${run + 1}: ${perFrame.at(-1).toFixed(1)} ms of CPU a frame: analysis ${(analysisMicros / 1000 / count).toFixed(1)}, warp+blend ${(micros / 1000 / count).toFixed(1)} (${stage.name}, ${count} frames of ${inputs[0].width}x${inputs[0].height})`);
}
const sorted = [...perFrame].sort((a, b) => a - b);
console.log(`median over ${sorted.length} runs: ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms of CPU a frame`);
