// A real Slurm: a one-node cluster on this machine (test/slurm/local-cluster.sh), the script that
// `stylize-video plan --format slurm` prints, submitted as is: an array of 3 shards and the join
// that depends on it. The result is checked against one uninterrupted run.
// Where Slurm is missing the test installs it if it can (root and apt-get); where it cannot, or the
// cluster does not start, the test is skipped and its reason printed. STYLIZE_VIDEO_REQUIRE_SLURM=1
// (CI) makes that a failure; STYLIZE_VIDEO_SKIP_SLURM=1 skips it on purpose.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stylizeVideo } from 'stylize-video';
import { makeClip, psnr, readAllFrames, streams, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';
import { BIN } from './helpers/cli.js';
import { provisionSlurm } from './slurm/provision.js';

const CLUSTER = join(import.meta.dirname, 'slurm', 'local-cluster.sh');
const required = process.env.STYLIZE_VIDEO_REQUIRE_SLURM === '1' && process.env.STYLIZE_VIDEO_SKIP_SLURM !== '1';

describe('on a real Slurm cluster', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  /** why the cluster is not there, if it is not */
  let unavailable: string | undefined;

  beforeAll(() => {
    const availability = provisionSlurm();
    if (!availability.ok) {
      unavailable = availability.reason;
      return;
    }
    dir = tempDir('sv-slurm-');
    const started = spawnSync('sh', [CLUSTER, 'start', join(dir, 'cluster')], { encoding: 'utf8' });
    if (started.status !== 0) unavailable = `could not start a local Slurm cluster (exit ${started.status}): ${started.stderr.trim()}`;
    env = { ...process.env, SLURM_CONF: join(dir, 'cluster', 'slurm.conf') };
  }, 900_000);

  afterAll(() => {
    if (dir) spawnSync('sh', [CLUSTER, 'stop', join(dir, 'cluster')]);
  });

  it('runs a 3-shard array job and the dependent join; the result matches one uninterrupted run', async (context) => {
    if (unavailable) {
      if (required) throw new Error(`${unavailable} (STYLIZE_VIDEO_REQUIRE_SLURM=1: this test must run)`);
      // The reason is printed at the end of the run (test/helpers/skip-reasons.ts).
      context.skip(unavailable);
    }
    const model = writeTinyModel(join(dir, 'tiny'));
    const clip = makeClip(join(dir, 'clip.mp4'), { width: 96, height: 64, seconds: 2 });
    const single = join(dir, 'single.mp4');
    await stylizeVideo({ input: clip, output: single, style: 'tiny', model, crf: 0, partFrames: 8 });

    const output = join(dir, 'farm.mp4');
    const script = execFileSync(
      'node',
      [BIN, 'plan', clip, '-o', output, '--model', model, '--crf', '0', '--part-frames', '8', '--shards', '3', '--format', 'slurm', '--cpus', '1', '--command', `${process.execPath} ${BIN}`],
      { encoding: 'utf8' },
    );
    writeFileSync(join(dir, 'submit.sh'), script);
    const submitted = spawnSync('sh', [join(dir, 'submit.sh')], { encoding: 'utf8', env, cwd: dir });
    expect(submitted.status, submitted.stderr).toBe(0);
    const [, shardJob, joinJob] = /shards: job (\d+).*join: job (\d+)/.exec(submitted.stdout) ?? [];
    expect(shardJob && joinJob, submitted.stdout).toBeTruthy();

    const state = (job: string) => spawnSync('scontrol', ['show', 'job', job], { encoding: 'utf8', env }).stdout.match(/JobState=(\w+)/g) ?? [];
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline && !existsSync(output) && !state(joinJob).some((s) => /FAILED|CANCELLED|TIMEOUT/.test(s))) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    const logs = () => spawnSync('sh', ['-c', `cat ${JSON.stringify(output)}.slurm-*.log 2>/dev/null`], { encoding: 'utf8' }).stdout;
    expect(existsSync(output), `no output; shard states ${state(shardJob).join(' ')}, join ${state(joinJob).join(' ')}; logs:\n${logs()}`).toBe(true);
    // Every array task ran and succeeded.
    expect(state(shardJob)).toEqual(['JobState=COMPLETED', 'JobState=COMPLETED', 'JobState=COMPLETED']);

    const [a, b] = await Promise.all([readAllFrames(single), readAllFrames(output)]);
    expect(b.length).toBe(a.length);
    const worst = Math.min(...a.map((f, i) => psnr(f.data, b[i].data)));
    expect(worst).toBeGreaterThanOrEqual(35);
    expect(streams(output).some((s) => s.codec_type === 'audio')).toBe(true);
    // Each shard logged its own part of the work.
    expect(readFileSync(script.match(/Logs: (.*)/)![1].replace('%A_%a', `${shardJob}_1`), 'utf8')).toMatch(/shard done: 2 part\(s\), 16 frames/);
  }, 300_000);
});
