// Parts, shards, join and resume: the joined shards and a resumed render are checked frame by frame
// against one uninterrupted run of the same clip (real ffmpeg, tiny model, lossless so the
// comparison sees the pixels rather than the encoder's choices).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { stylizeVideo } from 'stylize-video';
import { contiguousRuns, parseShard, partsOf, shardParts, warmupFrames } from '../src/parts/part-plan.js';
import { plannedRuns } from '../src/job/index.js';
import { makeClip, psnr, readAllFrames, streams, tempDir } from './helpers/media.js';
import { BIN, runCli } from './helpers/cli.js';
import { tinyModelAndClip } from './helpers/fixture.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const run = runCli;

describe('part grid and shards', () => {
  it('property: parts tile the range exactly, and shards tile the parts in contiguous, even runs', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 50 }), (start, length, partLength, shards) => {
        const range = { start, end: start + length - 1 };
        const parts = partsOf(range, partLength);
        let next = start;
        for (const p of parts) {
          if (p.start !== next || p.end < p.start || p.end - p.start + 1 > partLength) return false;
          next = p.end + 1;
        }
        if (next !== range.end + 1) return false;
        if (shards > parts.length) {
          expect(() => shardParts(parts, { index: 0, count: shards })).toThrow(/at most \d+ shards/);
          return true;
        }
        const assigned = Array.from({ length: shards }, (_, index) => shardParts(parts, { index, count: shards }));
        const sizes = assigned.map((a) => a.length);
        return (
          assigned.flat().map((p) => p.index).join() === parts.map((p) => p.index).join() &&
          assigned.every((a) => a.length > 0 && contiguousRuns(a).length === 1) &&
          Math.max(...sizes) - Math.min(...sizes) <= 1
        );
      }),
    );
  });

  it('takes the shard index from Slurm, Kubernetes or AWS Batch', () => {
    expect(parseShard('1/3', {})).toEqual({ index: 1, count: 3 });
    expect(parseShard('auto/3', { SLURM_ARRAY_TASK_ID: '2' })).toEqual({ index: 2, count: 3 });
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 0, count: 4 });
    expect(parseShard('auto/5', { AWS_BATCH_JOB_ARRAY_INDEX: '4' })).toEqual({ index: 4, count: 5 });
    expect(() => parseShard('auto/3', {})).toThrow(/none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set/);
    expect(() => parseShard('auto/3', { SLURM_ARRAY_TASK_ID: '3' })).toThrow(/is the array sized 3/);
    expect(() => parseShard('3/3', {})).toThrow(/2\/3/);
    expect(() => parseShard('1-3', {})).toThrow(/I\/N/);
  });

  it('property: the warm-up forgets the start to a thousandth (capped where the strength never forgets)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 0.95, noNaN: true }), (s) => Math.pow(s, warmupFrames(s)) <= 1e-3 + 1e-12),
    );
    expect(warmupFrames(0)).toBe(0);
    expect(warmupFrames(1)).toBe(150);
  });

  it('a run stylizes the frames before it for the warm-up and the look-ahead\'s after it, within the range', () => {
    const span = { start: 4, end: 51 };
    const parts = partsOf(span, 8); // 4-11, 12-19, ..., 44-51
    const job = (strength: number, shardParts = parts) => ({ span, shardParts, strength, warmupLimit: warmupFrames(strength) }) as unknown as Parameters<typeof plannedRuns>[0];
    const runsOf = (strength: number, done: number[]) =>
      plannedRuns(job(strength), new Set(done)).map((r) => ({ from: r.parts[0].start - r.warmup, first: r.parts[0].start, last: r.parts.at(-1)!.end, to: r.parts.at(-1)!.end + r.lookahead }));
    // parts 0 and 3 done: two runs, parts 1-2 and 4-5
    expect(runsOf(0.5, [0, 3])).toEqual([
      { from: 4, first: 12, last: 27, to: 29 },
      { from: 36 - warmupFrames(0.5), first: 36, last: 51, to: 51 },
    ]);
    expect(runsOf(0, [0, 3]).map((r) => [r.from, r.to])).toEqual([[12, 27], [36, 51]]);
  });
});

describe('shards, join and resume against one uninterrupted run', () => {
  let dir: string;
  let model: string;
  let clip: string;
  let single: string;
  // 48 frames in parts of 8: 6 parts, 2 per shard, warm-ups that reach back to frame 0 and that do not.
  const settings = { style: 'tiny', crf: 0, partFrames: 8, temporal: 0.7 } as const;
  const cliSettings = ['--crf', '0', '--part-frames', '8', '--temporal', '0.7'];

  beforeAll(async () => {
    ({ dir, model, clip } = tinyModelAndClip('clip.mp4', { width: 96, height: 64, seconds: 2 }));
    single = join(dir, 'single.mp4');
    await stylizeVideo({ input: clip, output: single, model, ...settings });
  });

  const expectSameAsSingle = async (path: string) => {
    const [a, b] = await Promise.all([readAllFrames(single), readAllFrames(path)]);
    expect(b.length).toBe(48);
    expect(a.length).toBe(48);
    const scores = a.map((f, i) => psnr(f.data, b[i].data));
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(35);
    const [, audio] = streams(path);
    expect(audio?.codec_type).toBe('audio');
    expect(Number(audio.duration)).toBeCloseTo(2, 1);
    return scores;
  };

  it('3 shards on the command line (auto/N from the farm variables) + join', async () => {
    const output = join(dir, 'sharded.mp4');
    const variables = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'];
    for (let i = 0; i < 3; i++) {
      const r = run([clip, '--model', model, '-o', output, ...cliSettings, '--shard', 'auto/3', '--json'], { [variables[i]]: String(i) });
      expect(r.status, r.stderr).toBe(0);
      const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(done).toMatchObject({ type: 'done', joined: false, frames: 16, parts: { total: 2, rendered: 2 } });
      expect(existsSync(output)).toBe(false);
    }
    const r = run(['join', output]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(`${output}.parts`)).toBe(false);
    const scores = await expectSameAsSingle(output);
    // The first shard starts where the single run does: identical frames, not merely close.
    expect(scores.slice(0, 16).every((s) => s === Infinity)).toBe(true);
  });

  it('join names the missing parts, and keeps what is there', async () => {
    const output = join(dir, 'partial.mp4');
    await stylizeVideo({ input: clip, output, model, ...settings, shard: '0/3' });
    await stylizeVideo({ input: clip, output, model, ...settings, shard: '2/3' });
    const r = run(['join', output]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/2 of 6 parts are missing, frames 16-31 \(parts 2, 3\)/);
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(`${output}.parts`).filter((f) => /^part-\d+-\d+\.mp4$/.test(f))).toHaveLength(4);
    // The missing shard alone completes it; no finished part is redone.
    const result = await stylizeVideo({ input: clip, output, model, ...settings, shard: '1/3' });
    expect(result.parts).toMatchObject({ rendered: 2, alreadyDone: 0 });
    expect(run(['join', output]).status).toBe(0);
    await expectSameAsSingle(output);
  });

  it('a shard with other settings is refused, and -y starts the parts over', async () => {
    const output = join(dir, 'mixed.mp4');
    await stylizeVideo({ input: clip, output, model, ...settings, shard: '0/3' });
    const r = run([clip, '--model', model, '-o', output, ...cliSettings, '--crf', '10', '--shard', '1/3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds parts of another render \(--crf 0 there, 10 here\).*-y/);
    const y = run([clip, '--model', model, '-o', output, ...cliSettings, '--crf', '10', '--shard', '1/3', '-y']);
    expect(y.status, y.stderr).toBe(0);
    expect(readdirSync(`${output}.parts`).filter((f) => /^part-\d+-\d+\.mp4$/.test(f))).toEqual(['part-000016-000023.mp4', 'part-000024-000031.mp4']);
    rmSync(`${output}.parts`, { recursive: true });
  });

  it('a custom model retrained in the same folder does not resume onto the old weights\' parts', async () => {
    const output = join(dir, 'retrained.mp4');
    const folder = join(dir, 'retrained-model');
    writeTinyModel(folder, 1);
    await stylizeVideo({ input: clip, output, model: folder, ...settings, shard: '0/3' });
    writeTinyModel(folder, 2); // new weights, same folder name
    const r = run([clip, '--model', folder, '-o', output, ...cliSettings, '--shard', '1/3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds parts of another render \(--model .*there, .* here\).*-y/);
    rmSync(`${output}.parts`, { recursive: true });
  });

  it('a render killed with SIGKILL part-way resumes from its finished parts and matches', async () => {
    const output = join(dir, 'killed.mp4');
    const args = [BIN, clip, '--model', model, '-o', output, ...cliSettings, '--concurrency', '1'];
    const child = spawn('node', args, { stdio: 'ignore' });
    // Kill it once three parts are in place.
    const parts = `${output}.parts`;
    const finished = () => (existsSync(parts) ? readdirSync(parts).filter((f) => /^part-\d+-\d+\.mp4$/.test(f)).length : 0);
    while (finished() < 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(output)).toBe(false);
    const kept = finished();
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(6);
    // ffmpeg children lose their pipes and end by themselves.
    await new Promise((r) => setTimeout(r, 1000));
    expect(spawnSync('pgrep', ['-f', parts], { encoding: 'utf8' }).stdout.trim()).toBe('');

    const again = run(args.slice(1).concat('--json'));
    expect(again.status, again.stderr).toBe(0);
    const events = again.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'start', parts: { total: 6, done: kept } });
    expect(events.at(-1)).toMatchObject({ type: 'done', joined: true, parts: { alreadyDone: kept, rendered: 6 - kept } });
    expect(existsSync(parts)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    await expectSameAsSingle(output);
  });
});

describe('plan', () => {
  let dir: string;
  let clip: string;
  beforeAll(() => {
    dir = tempDir();
    clip = makeClip(join(dir, "it's a clip.mp4"), { width: 64, height: 48, seconds: 2 });
  });

  it('prints the shards as JSON: whole parts, in order, covering every frame', () => {
    const r = run(['plan', clip, '--shards', '4', '--part-frames', '5', '--style', 'udnie', '--crf', '20']);
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.parts).toBe(10);
    expect(plan.shards.map((s: { frames: { start: number; end: number } }) => [s.frames.start, s.frames.end])).toEqual([[0, 9], [10, 24], [25, 34], [35, 47]]);
    expect(plan.shardCommand).toEqual(expect.arrayContaining(['--style', 'udnie', '--crf', '20', '--frames', '0-47', '--part-frames', '5', '--shard', 'auto/4']));
    expect(plan.joinCommand.slice(0, 2)).toEqual(['stylize-video', 'join']);
  });

  it('prints a Slurm script that the shell accepts, with the join depending on the array', () => {
    const r = run(['plan', clip, '--shards', '3', '--part-frames', '8', '--format', 'slurm', '--command', 'node /opt/sv/bin/stylize-video.js']);
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync('sh', ['-n'], { input: r.stdout }).status).toBe(0);
    expect(r.stdout).toMatch(/--array=0-2/);
    expect(r.stdout).toMatch(/--dependency=afterok:\$shards/);
    // The quote in the file name survives the shell.
    expect(r.stdout).toContain(`'${dir}/it'\\''s a clip.mp4'`);
  });

  it('prints a Kubernetes Indexed Job and a waiting join Job', () => {
    const r = run(['plan', clip, '--shards', '3', '--part-frames', '8', '--format', 'k8s', '--image', 'registry.example/sv:1', '--claim', 'renders']);
    expect(r.status, r.stderr).toBe(0);
    const [shards, joiner] = r.stdout.split(/^---$/m).map((doc) => parseYaml(doc));
    expect(shards).toMatchObject({ kind: 'Job', spec: { completionMode: 'Indexed', completions: 3, parallelism: 3 } });
    const container = shards.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.example/sv:1');
    expect(container.command).toEqual(expect.arrayContaining(['--shard', 'auto/3']));
    expect(shards.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('renders');
    // Input and output are in the same folder here, so that is where the volume goes.
    expect(container.volumeMounts[0].mountPath).toBe(dir);
    expect(joiner.spec.template.spec.containers[0].command).toEqual(expect.arrayContaining(['join', '--wait']));
  });

  it('refuses more shards than parts, saying how to get more parts', () => {
    const r = run(['plan', clip, '--shards', '5', '--part-frames', '24']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/only 2 part\(s\).*--part-frames/);
  });
});
