// The flow computed ahead in worker threads (src/temporal/flow-pool.ts) against the same analysis
// computed in the stage's own thread: equal to the bit, frame by frame, and in whole renders
// (lossless, ffmpeg's framemd5); and a render aborted mid-way leaves no thread behind.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegBinaries, stylizeVideo } from 'stylize-video';
import { FlowPool, flowWorkers, MAX_FLOW_WORKERS } from '../src/temporal/flow-pool.js';
import { analyseInThread, cpuStageFlows, type InputAnalysis } from '../src/temporal/input-analysis.js';
import { LOADER, runCli } from './helpers/cli.js';
import { tinyModelAndClip } from './helpers/fixture.js';
import { readAllFrames } from './helpers/media.js';

/** ffmpeg's MD5 of every decoded frame, the header left out: equal lists are equal frames. */
const frameMd5 = (path: string): string[] =>
  execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());

/** Every number of an analysis, in a fixed order, for a comparison to the bit. */
const numbersOf = (a: InputAnalysis): number[][] => [
  [a.gray.width, a.gray.height],
  Array.from(a.gray.data),
  Array.from(a.colours),
  ...(a.pair ? [a.pair.back, a.pair.ahead].flatMap((m) => [Array.from(m.backward.data), Array.from(m.mask), [m.coverage]]) : [[]]),
];

// A tiny model and a 1-second clip, 24 frames of testsrc2 (a moving pattern on still colours).
let dir: string, model: string, clip: string;
beforeAll(() => void ({ dir, model, clip } = tinyModelAndClip('clip.mp4', { width: 96, height: 64, seconds: 1 })));

describe('the flow computed ahead', () => {
  it('gives every frame the analysis the stage computes itself, with one worker and with two (which pass frames between them)', async () => {
    const frames = (await readAllFrames(clip)).slice(0, 12);
    const expected = analyseInThread(await cpuStageFlows());
    for (const frame of frames) expected.add(frame);
    const reference: number[][][] = [];
    for (const _ of frames) reference.push(numbersOf((await expected.take()).analysis));
    for (const size of [1, 2]) {
      const pool = await FlowPool.start(size);
      try {
        // Two runs through one pool, as a render's runs go: the second starts afresh, with no pair before its first frame.
        for (const run of [frames, frames.slice(5)]) {
          const analyser = pool.analyser();
          for (const frame of run) analyser.add(frame);
          const offset = frames.length - run.length;
          for (let i = 0; i < run.length; i++) {
            const { analysis, seconds } = await analyser.take();
            expect(seconds).toBeGreaterThan(0);
            if (i === 0) expect(analysis.pair).toBeUndefined();
            else expect(numbersOf(analysis), `${size} worker(s), frame ${run[i].index}`).toEqual(reference[offset + i]);
          }
        }
      } finally {
        await pool.close();
      }
    }
  });

  it('renders the same frames as the stage in the main thread (lossless, temporal on), a whole render and a shard with its warm-up', async () => {
    const render = async (name: string, flowWorkers: number, shard?: string) => {
      const output = join(dir, `${name}-${flowWorkers}.mp4`);
      const result = await stylizeVideo({ input: clip, output, model, style: 'tiny', crf: 0, partFrames: 8, concurrency: 1, flowWorkers, shard, overwrite: true });
      if (!shard) return { frames: frameMd5(output), result };
      const folder = result.parts.folder!;
      const parts = readdirSync(folder).filter((f) => /^part-\d+-\d+\.mp4$/.test(f)).sort();
      return { frames: parts.flatMap((p) => frameMd5(join(folder, p))), result };
    };
    const inThread = await render('whole', 0);
    const ahead = await render('whole', 2);
    expect(inThread.frames).toHaveLength(24);
    expect(ahead.frames).toEqual(inThread.frames);
    // The time split: with no worker the main thread computes the analysis itself, so it waits all of it.
    expect(inThread.result.stageSeconds.flowWait).toBeCloseTo(inThread.result.stageSeconds.flow, 1);
    expect(ahead.result.stageSeconds.flow).toBeGreaterThan(0);
    const shardInThread = await render('shard', 0, '1/2');
    const shardAhead = await render('shard', 2, '1/2');
    expect(shardInThread.frames.length).toBeGreaterThanOrEqual(8);
    expect(shardAhead.frames).toEqual(shardInThread.frames);
  });

  it('ends its worker threads when a render is aborted mid-way: the process exits by itself', async () => {
    // A process of its own: it exits only when nothing (no thread, no child) is left running.
    const script = `
      import { stylizeVideo } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))};
      const controller = new AbortController();
      const onEvent = (e) => e.type === 'progress' && controller.abort();
      try {
        await stylizeVideo({ input: ${JSON.stringify(clip)}, output: ${JSON.stringify(join(dir, 'aborted.mp4'))}, model: ${JSON.stringify(model)}, style: 'tiny', concurrency: 1, batch: 1, flowWorkers: 2, overwrite: true, signal: controller.signal, onEvent });
        console.log('finished');
      } catch (err) {
        console.log('stopped: ' + err.name);
      }`;
    const file = join(dir, 'abort.mjs');
    writeFileSync(file, script);
    const child = spawn('node', ['--import', LOADER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000));
    const code = await Promise.race([exited, timeout]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('stopped: AbortError');
  });

  it('the command line, run from the sources, starts the workers, says so, and with --verbose says where each frame went', () => {
    const r = runCli([clip, '--model', model, '-o', join(dir, 'verbose.mp4'), '--flow-workers', '1', '--concurrency', '1', '--verbose', '-y']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/its flow in 1 worker thread/);
    expect(r.stderr).toMatch(/^time per frame: decode \d+ ms, network \d+ ms \(wall; \d+ ms summed over batches\), flow [1-9]\d* ms \(main thread waited \d+ ms\), warp\+blend \d+ ms, encode \d+ ms$/m);
  });

  it('takes the cores the network leaves, less the main thread, at least one and at most a few', () => {
    expect(flowWorkers(2, 2)).toBe(1);
    expect(flowWorkers(16, 1)).toBe(MAX_FLOW_WORKERS);
    expect(flowWorkers(8, 1)).toBe(6);
    expect(flowWorkers(4, 4)).toBe(1);
  });
});
