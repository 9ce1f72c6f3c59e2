// Previews, single frames as images, and ranges by time: checked against frames that ffmpeg and
// the network produce independently of the code under test.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createStylizer, ffmpegBinaries, preview, probeVideo } from 'stylize-video';
import * as stylizerModule from '../src/stylize/stylizer.js';
import { frameChooser } from '../src/job/index.js';
import { psnr, readAllFrames, streams } from './helpers/media.js';
import { runCli } from './helpers/cli.js';
import { tinyModelAndClip } from './helpers/fixture.js';

const run = (...args: string[]) => runCli(args);

// The stylizer, as the library creates it, watched: which frame size it was told to expect.
vi.mock('../src/stylize/stylizer.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/stylize/stylizer.js')>();
  return { ...original, createStylizer: vi.fn(original.createStylizer) };
});

let dir: string;
let model: string;
let clip: string;

beforeAll(() => {
  ({ dir, model, clip } = tinyModelAndClip('clip.mp4', { width: 128, height: 72, seconds: 2 }));
});

/** The clip's frames at half size, scaled by ffmpeg itself. */
function halfSizeFrames(): Uint8Array[] {
  const raw = execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-i', clip, '-vf', 'scale=64:36', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 });
  const size = 64 * 36 * 3;
  return Array.from({ length: raw.length / size }, (_, i) => new Uint8Array(raw.subarray(i * size, (i + 1) * size)));
}

/** The w x h block of an RGB image at (x, y). */
function crop(data: Uint8Array, width: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let row = 0; row < h; row++) out.set(data.subarray(((y + row) * width + x) * 3, ((y + row) * width + x + w) * 3), row * w * 3);
  return out;
}

describe('preview', () => {
  it('writes one second from the middle, original | stylized at half size, with its audio', async () => {
    const output = join(dir, 'side.mp4');
    const r = run('preview', clip, '--model', model, '-o', output, '--json');
    expect(r.status, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout.trim());
    expect(done.frames).toEqual(Array.from({ length: 24 }, (_, i) => 12 + i));
    const info = await probeVideo(output);
    expect([info.width, info.height]).toEqual([2 * 64 + 4, 36]);
    const frames = await readAllFrames(output);
    expect(frames).toHaveLength(24);
    const reference = halfSizeFrames();
    // The left half is the input's frame 12 onwards: of all the input's frames, the closest
    // (through a lossy encode of a tiny picture) is the right one.
    for (const i of [0, 10, 23]) {
      const left = crop(frames[i].data, 132, 0, 0, 64, 36);
      const scores = reference.map((r) => psnr(left, r));
      expect(scores.indexOf(Math.max(...scores))).toBe(12 + i);
      expect(scores[12 + i]).toBeGreaterThan(20);
    }
    expect(streams(output).some((s) => s.codec_type === 'audio')).toBe(true);
  });

  it('writes a contact sheet of evenly spaced frames, first and last included', async () => {
    const output = join(dir, 'sheet.png');
    const r = run('preview', clip, '--model', model, '-o', output, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).frames).toEqual([0, 9, 19, 28, 38, 47]);
    const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    // Two columns of 132-pixel pairs with an 8-pixel gap; three rows of 36 with 8 between.
    expect([info.width, info.height]).toEqual([2 * 132 + 8, 3 * 36 + 16]);
    const reference = halfSizeFrames();
    const sheet = new Uint8Array(data);
    expect(psnr(crop(sheet, info.width, 0, 0, 64, 36), reference[0])).toBeGreaterThan(30);
    expect(psnr(crop(sheet, info.width, 140, 2 * 44, 64, 36), reference[47])).toBeGreaterThan(30);
    // The stylized half of a cell is the network's output for that frame, not the original.
    expect(psnr(crop(sheet, info.width, 68, 0, 64, 36), reference[0])).toBeLessThan(20);
  });

  it('tells the stylizer the frame size, so ONNX Runtime keeps to its memory budget as in a render', async () => {
    const created = vi.mocked(stylizerModule.createStylizer);
    for (const output of [join(dir, 'budget.mp4'), join(dir, 'budget.png')]) {
      created.mockClear();
      await preview({ input: clip, output, style: 'tiny', model, scale: 0.5, concurrency: 1 });
      expect(created).toHaveBeenCalledTimes(1);
      expect(created.mock.calls[0][0].frameSize).toEqual({ width: 64, height: 36 });
    }
  });

  it('refuses a scale outside (0, 1] in one line', () => {
    const r = run('preview', clip, '--model', model, '--scale', '2', '-o', join(dir, 'big.mp4'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^stylize-video: --scale 2: give a factor above 0 and at most 1/);
  });
});

describe('one frame as an image', () => {
  it('--frames 30 -o frame.png is the network applied to decoded frame 30, exactly', async () => {
    const output = join(dir, 'frame30.png');
    const r = run(clip, '--model', model, '--frames', '30', '-o', output);
    expect(r.status, r.stderr).toBe(0);
    const frames = await readAllFrames(clip);
    const stylizer = await createStylizer({ style: 'tiny', modelDir: model, concurrency: 1 }); // the engine the command line picks
    const [expected] = await stylizer.stylize([frames[30]]);
    await stylizer.close();
    const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([128, 72, 3]);
    expect(psnr(new Uint8Array(data), expected.data)).toBe(Infinity);
  });

  it('an image output without a single frame is a usage error', () => {
    const r = run(clip, '--model', model, '--frames', '3-5', '-o', join(dir, 'frames.png'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds one frame, so choose it with --frames N/);
  });
});

describe('--start and --duration', () => {
  it('map timecodes to the frames shown in that time', async () => {
    const info = await probeVideo(clip);
    const span = (start?: string, duration?: string) => frameChooser({ start, duration })(info).span;
    expect(span('1', '0.5')).toEqual({ start: 24, end: 35 });
    expect(span('0:00:01.5')).toEqual({ start: 36, end: 47 });
    expect(span('0:01', '1')).toEqual({ start: 24, end: 47 });
    expect(span(undefined, '0.25')).toEqual({ start: 0, end: 5 });
    expect(() => frameChooser({ start: '1:75' })).toThrow(/^start 1:75: give a time/);
    expect(() => frameChooser({ frames: '3', start: '1' })).toThrow(/one or the other/);
    expect(() => span('1', '0.01')).toThrow(/shorter than one frame/);
  });

  it('render exactly those frames, with the audio under them', () => {
    const output = join(dir, 'timed.mp4');
    const r = run(clip, '--model', model, '--start', '1', '--duration', '0.5', '-o', output, '--no-temporal');
    expect(r.status, r.stderr).toBe(0);
    const [v, a] = streams(output);
    expect(Number(v.nb_read_frames)).toBe(12);
    expect(Number(a.duration)).toBeCloseTo(0.5, 1);
  });
});
