// The controls everywhere a render goes: checked before any work, in plan.json's identity and the
// shards' command lines, in stills, previews and --json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames, probeVideo, stylize, stylizeVideo } from 'stylize-video';
import { runCli } from './helpers/cli.js';
import { psnr, readAllFrames } from './helpers/media.js';
import { tinyModelAndClip } from './helpers/fixture.js';

let dir: string;
let model: string;
let clip: string;

beforeAll(() => {
  ({ dir, model, clip } = tinyModelAndClip('clip.mp4', { width: 64, height: 48, seconds: 0.5 }));
});

describe('bad values: one line, exit 2, before any work', () => {
  it.each([
    [{ strokeScale: 0.5 }, /^strokeScale 0\.5: give a factor from 1 .* to 16, or auto$/, ['--stroke-scale', '0.5']],
    [{ strokeScale: 17 }, /^strokeScale 17: give a factor from 1/, ['--stroke-scale', '17']],
    [{ strokeScale: 'big' as never }, /^strokeScale big: give a factor from 1/, ['--stroke-scale', 'big']],
    [{ intensity: 1.5 }, /^intensity 1\.5: give an intensity from 0 \(the original\) to 1 \(fully stylized\)$/, ['--intensity', '1.5']],
    [{ intensity: -0.1 }, /^intensity -0\.1: give an intensity from 0/, ['--intensity', '-0.1']],
    [{ originalColors: 'yes' as never }, /^originalColors yes: give true or false$/, undefined],
  ])('%j', async (options, api, flags) => {
    const output = join(dir, 'never.mp4');
    await expect(stylizeVideo({ input: clip, model, output, ...options })).rejects.toThrow(api);
    if (flags) {
      const r = runCli([clip, '--model', model, '-o', output, ...flags]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/invalid|give/);
    }
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.parts`)).toBe(false);
  });
});

describe('the controls reach every route', () => {
  it('plan hands them to the shards, plan.json records them, and parts made otherwise are refused', () => {
    const r = runCli(['plan', clip, '--model', model, '--shards', '2', '--part-frames', '6', '--stroke-scale', 'auto', '--intensity', '0.5', '--original-colors']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).shardCommand).toEqual(expect.arrayContaining(['--stroke-scale', 'auto', '--intensity', '0.5', '--original-colors']));
    const output = join(dir, 'shards.mp4');
    const shard = (i: number, intensity: string) => runCli([clip, '--model', model, '-o', output, '--part-frames', '6', '--shard', `${i}/2`, '--stroke-scale', '2', '--intensity', intensity, '--original-colors', '--no-temporal']);
    expect(shard(0, '0.5').status).toBe(0);
    const settings = JSON.parse(readFileSync(join(`${output}.parts`, 'plan.json'), 'utf8')).settings;
    expect(settings).toMatchObject({ strokeScale: 2, intensity: 0.5, originalColors: true });
    const other = shard(1, '0.6');
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds parts of another render \(--intensity/);
  });

  it('auto resolves from the frame size (short side / 360, at least 1) and --json says so', async () => {
    const r = runCli([clip, '--model', model, '-o', join(dir, 'auto.mp4'), '--stroke-scale', 'auto', '--no-temporal', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(done.look).toEqual({ strokeScale: 1, intensity: 1, originalColors: false });
  });

  it('a still and a frame at intensity 0 are the original pixels', async () => {
    const photo = join(dir, 'photo.png');
    const pixels = Buffer.from(Array.from({ length: 20 * 12 * 3 }, (_, i) => (i * 37) % 256));
    await sharp(pixels, { raw: { width: 20, height: 12, channels: 3 } }).png().toFile(photo);
    const still = await stylize({ input: photo, model, style: 'tiny', intensity: 0, strokeScale: 2 });
    expect(still).toMatchObject({ kind: 'image', look: { strokeScale: 2, intensity: 0 } });
    expect(Buffer.compare(await sharp(still.output).raw().toBuffer(), pixels)).toBe(0);

    const frame = join(dir, 'frame.png');
    expect(runCli([clip, '--model', model, '-o', frame, '--frames', '3', '--intensity', '0']).status).toBe(0);
    let original: Uint8Array | undefined;
    for await (const f of decodeFrames(await probeVideo(clip), { startFrame: 3, frameCount: 1 })) original = f.data;
    expect(Buffer.compare(await sharp(frame).raw().toBuffer(), Buffer.from(original!))).toBe(0);
  });

  it("a contact sheet's stylized halves take the look (intensity 0: the originals)", async () => {
    const output = join(dir, 'sheet.png');
    const r = runCli(['preview', clip, '--model', model, '-o', output, '--count', '2', '--scale', '1', '--intensity', '0', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const sheet = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    // each cell: original | 4 px gap | stylized, 64 px wide halves
    const { width } = sheet.info;
    for (let y = 0; y < 48; y++) {
      const left = sheet.data.subarray(y * width * 3, (y * width + 64) * 3);
      const right = sheet.data.subarray((y * width + 68) * 3, (y * width + 132) * 3);
      expect(Buffer.compare(left, right)).toBe(0);
    }
  });

  it('a contact sheet compares several values, one column each; a render or a clip takes one', async () => {
    const output = join(dir, 'compare.png');
    const r = runCli(['preview', clip, '--model', model, '-o', output, '--count', '1', '--scale', '1', '--intensity', '0,1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).looks.map((l: { intensity: number }) => l.intensity)).toEqual([0, 1]);
    const plainSheet = join(dir, 'plain.png');
    expect(runCli(['preview', clip, '--model', model, '-o', plainSheet, '--count', '1', '--scale', '1']).status).toBe(0);
    const sheet = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    const plain = await sharp(plainSheet).raw().toBuffer({ resolveWithObject: true });
    expect([sheet.info.width, sheet.info.height]).toEqual([3 * 64 + 2 * 4, 48]);
    const cell = (image: typeof sheet, column: number, y: number) => image.data.subarray((y * image.info.width + column * 68) * 3, (y * image.info.width + column * 68 + 64) * 3);
    for (let y = 0; y < 48; y++) {
      expect(Buffer.compare(cell(sheet, 1, y), cell(sheet, 0, y))).toBe(0);
      expect(Buffer.compare(cell(sheet, 2, y), cell(plain, 1, y))).toBe(0);
    }
    const render = runCli([clip, '--model', model, '-o', join(dir, 'two.mp4'), '--intensity', '0.3,0.6']);
    expect(render.status).toBe(2);
    expect(render.stderr).toMatch(/several values of --intensity make a contact sheet/);
    const preview = runCli(['preview', clip, '--model', model, '-o', join(dir, 'two-preview.mp4'), '--stroke-scale', '1,2']);
    expect(preview.status).toBe(2);
    expect(preview.stderr).toMatch(/make a contact sheet: give an image output \(-o /);
  });

  it('shards with the controls join into what one run makes (temporal stage on, lossless)', async () => {
    const look = ['--stroke-scale', '2', '--intensity', '0.7', '--original-colors', '--temporal', '0.7', '--crf', '0', '--part-frames', '6'];
    const single = join(dir, 'look-single.mp4');
    expect(runCli([clip, '--model', model, '-o', single, ...look]).status).toBe(0);
    const sharded = join(dir, 'look-sharded.mp4');
    for (const shard of ['0/2', '1/2']) expect(runCli([clip, '--model', model, '-o', sharded, ...look, '--shard', shard]).status).toBe(0);
    expect(runCli(['join', sharded]).status).toBe(0);
    const [a, b] = await Promise.all([readAllFrames(single), readAllFrames(sharded)]);
    expect(b.length).toBe(a.length);
    const scores = a.map((f, i) => psnr(f.data, b[i].data));
    expect(scores.slice(0, 6).every((s) => s === Infinity)).toBe(true);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(35);
  });
});
