import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeClip, sharedModels } from './helpers/media.js';
import { BIN, runCli } from './helpers/cli.js';
import { tinyModelAndClip } from './helpers/fixture.js';

const run = (...args: string[]) => runCli(args);

let dir: string;
let model: string;
let clip: string;

beforeAll(() => {
  ({ dir, model, clip } = tinyModelAndClip('clip with spaces.mp4', { width: 80, height: 48, seconds: 0.5 }));
});

const ffmpegChildren = (marker: string) => {
  const out = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim();
  return out ? out.split('\n') : [];
};

describe('cli', () => {
  it('lists the styles', () => {
    const r = run('styles', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).styles).toHaveLength(9);
  });

  it('lists each style\'s licence: Engstrom\'s six are research use only', () => {
    const { styles } = JSON.parse(run('styles', '--json').stdout);
    const research = styles.filter((s: { licence: { commercialUse: boolean } }) => !s.licence.commercialUse).map((s: { name: string }) => s.name);
    expect(research).toEqual(['la_muse', 'rain_princess', 'scream', 'udnie', 'wave', 'wreck']);
    const text = run('styles').stdout;
    expect(text).toMatch(/^ {2}wave +.*research use only/m);
    expect(text).toMatch(/^ {2}mathura +.*MIT/m);
  });

  it.skipIf(!sharedModels)('says once on stderr that a research-only style may not be used commercially; --json carries it as a field, -q not at all', async () => {
    const env = { STYLIZE_VIDEO_MODELS: sharedModels! };
    const output = join(dir, 'licence.mp4');
    const told = runCli([clip, '--style', 'wave', '-o', output, '--no-temporal', '-y'], env);
    expect(told.status, told.stderr).toBe(0);
    expect(told.stderr.match(/research use only/g)).toHaveLength(1);
    expect(told.stderr).toMatch(/commercial use .* needs his permission/);
    const json = runCli([clip, '--style', 'wave', '-o', output, '--no-temporal', '-y', '--json'], env);
    expect(json.stderr).toBe('');
    const start = JSON.parse(json.stdout.split('\n')[0]);
    expect(start.licence).toMatchObject({ commercialUse: false, url: expect.stringContaining('lengstrom/fast-style-transfer') });
    expect(runCli([clip, '--style', 'wave', '-o', output, '--no-temporal', '-y', '-q'], env).stderr).toBe('');
    const photo = join(dir, 'licence.png');
    await sharp({ create: { width: 20, height: 16, channels: 3, background: '#808080' } }).png().toFile(photo);
    const still = runCli([photo, '--style', 'mathura', '-o', join(dir, 'licence.mathura.png')], env);
    expect(still.status, still.stderr).toBe(0);
    expect(still.stderr).not.toMatch(/research use only/);
  });

  it('renders with --json progress and a summary', () => {
    const output = join(dir, 'out.mp4');
    const r = run(clip, '--model', model, '-o', output, '--no-temporal', '--json');
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].type).toBe('start');
    expect(events.filter((e) => e.type === 'progress').at(-1).frame).toBe(12);
    expect(events.at(-1)).toMatchObject({ type: 'done', frames: 12, width: 80, height: 48 });
    expect(existsSync(output)).toBe(true);
  });

  it('writes <input>.<style>.mp4 beside the input by default', () => {
    const r = run(clip, '--model', model, '--style', 'tiny', '--no-temporal', '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(join(dir, 'clip with spaces.tiny.mp4'))).toBe(true);
  });

  it('ends a whole render with one line saying what it wrote, and a shard with what is left to do', () => {
    const whole = run(clip, '--model', model, '--no-temporal', '-o', join(dir, 'summary.mp4'));
    expect(whole.status, whole.stderr).toBe(0);
    const last = whole.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^wrote .*summary\.mp4: 12 frames; stylized 12 in /);
    expect(whole.stderr).not.toMatch(/shard done/);
    const shard = run(clip, '--model', model, '--no-temporal', '--part-frames', '6', '--shard', '0/2', '-o', join(dir, 'summary-shard.mp4'));
    expect(shard.status, shard.stderr).toBe(0);
    expect(shard.stderr.trim().split('\n').at(-1)).toMatch(/^shard done: 1 part\(s\), 6 frames in .*summary-shard\.mp4\.parts.*stylize-video join /);
  });

  it('stylizes a still, keeping its size', async () => {
    const photo = join(dir, 'photo.jpg');
    await sharp({ create: { width: 45, height: 31, channels: 3, background: '#3080c0' } }).jpeg().toFile(photo);
    const r = run(photo, '--model', model, '-o', join(dir, 'photo.png'));
    expect(r.status, r.stderr).toBe(0);
    const meta = await sharp(join(dir, 'photo.png')).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([45, 31, 'png']);
  });

  it.each([
    [['--frobnicate', 'x.mp4'], 2, /unknown option/],
    [['x.mp4', '--batch', 'many'], 2, /--batch.*whole number/],
    [['x.mp4', '--style', 'wav'], 2, /did you mean 'wave'/],
    [['missing.mp4'], 1, /input not found: missing.mp4/],
    [['x.mp4', '-o', 'x.mp4'], 2, /is the input/],
  ])('%j exits %i with one line that says what to do', (args, code, message) => {
    const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8', cwd: dir });
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('spells -y, -q, --json and --verbose alike in every subcommand', () => {
    const common = { render: ['-y, --overwrite', '-q, --quiet', '--json', '--verbose'], join: ['-y, --overwrite', '-q, --quiet', '--json', '--verbose'], preview: ['-y, --overwrite', '-q, --quiet', '--json', '--verbose'], metrics: ['--json', '--verbose'], styles: ['--json', '--verbose'], plan: ['--verbose'] };
    for (const [command, flags] of Object.entries(common)) {
      const help = command === 'render' ? run('--help').stdout : run(command, '--help').stdout;
      for (const flag of flags) expect(help, `${command} ${flag}`).toContain(flag);
    }
    const quiet = run('join', join(dir, 'never-rendered.mp4'), '-q');
    expect(quiet.status).toBe(1);
    expect(quiet.stderr).toMatch(/no parts to join/);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops on %s with exit %i, no partial output and no ffmpeg left running', async (signal, exitCode) => {
    const long = join(dir, 'long-sigint.mp4');
    if (!existsSync(long)) makeClip(long, { width: 320, height: 240, seconds: 20, fps: 24 });
    const output = join(dir, `${signal}.mp4`);
    const child = spawn('node', [BIN, long, '--model', model, '-o', output, '--json', '--no-temporal', '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('"progress"') && resolve()));
    expect(ffmpegChildren('long-sigint.mp4').length).toBeGreaterThan(0);
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(exitCode);
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(ffmpegChildren('long-sigint.mp4')).toEqual([]);
  });
});

describe('a full disk', () => {
  // A 300 kB tmpfs stands in for a full disk; mounting needs root (as CI is).
  it.skipIf(process.getuid?.() !== 0)('gives a clear error and leaves nothing behind', () => {
    const mountPoint = join(dir, 'small-disk');
    execFileSync('mkdir', ['-p', mountPoint]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mountPoint]);
    try {
      const input = makeClip(join(dir, 'big-enough.mp4'), { width: 320, height: 240, seconds: 3 });
      const r = run(input, '--model', model, '-o', join(mountPoint, 'out.mp4'), '--crf', '0');
      expect(r.status).toBe(1);
      // The folder, its free space and what the render needs (test/faults.test.ts makes more of full disks).
      expect(r.stderr).toMatch(/the disk is full: .*small-disk has \d+ kB free, and the render needs about [\d.]+ (kB|MB) more: free some space there, then run the same command again/);
      expect(readdirSync(mountPoint)).toEqual([]);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});
