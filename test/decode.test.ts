import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegBinaries, probeVideo, stylizeVideo } from 'stylize-video';
import { readAllFrames, streams, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';

let dir: string;
const ffmpeg = (...args: string[]) => execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', ...args]);

/** Upright test picture: red left half, blue right half, a white top band. */
const UPRIGHT = 'color=c=red:s=64x48:d=0.5:r=10[a];color=c=blue:s=32x48:d=0.5:r=10[b];[a][b]overlay=x=32[c];color=c=white:s=64x8:d=0.5:r=10[d];[c][d]overlay';

const pixel = (f: { width: number; data: Uint8Array }, x: number, y: number) => Array.from(f.data.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3));

beforeAll(() => {
  dir = tempDir();
});

describe('decode', () => {
  it('honours rotation metadata: frames come out upright with width and height swapped', async () => {
    const path = join(dir, 'rotated.mp4');
    // The picture is stored turned a quarter, with a display matrix telling players to turn it back.
    // Which way the muxer writes the matrix has changed across ffmpeg versions, so ask ffprobe
    // (counter-clockwise degrees) and store the picture the matching way.
    // (The ffmpeg 4 in @ffmpeg-installer writes the tag only when copying a stream.)
    const stored = join(dir, 'stored.mp4');
    const write = (transpose: string) => {
      ffmpeg('-f', 'lavfi', '-i', UPRIGHT, '-vf', `transpose=${transpose}`, '-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-crf', '0', stored);
      ffmpeg('-i', stored, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path);
    };
    write('clock');
    const probed = JSON.parse(execFileSync(ffmpegBinaries().ffprobe, ['-v', 'error', '-of', 'json', '-show_streams', path], { encoding: 'utf8' }));
    const counterClockwise = Number(probed.streams[0].side_data_list?.[0]?.rotation ?? -Number(probed.streams[0].tags?.rotate));
    expect(Math.abs(counterClockwise)).toBe(90);
    // Displayed = stored turned counter-clockwise by that angle; so store the opposite turn.
    if (counterClockwise === -90) write('cclock');
    const info = await probeVideo(path);
    expect([90, 270]).toContain(info.rotation);
    expect([info.codedWidth, info.codedHeight]).toEqual([48, 64]);
    expect([info.width, info.height]).toEqual([64, 48]);
    const [frame] = await readAllFrames(path);
    expect(pixel(frame, 32, 2).every((v) => v > 200)).toBe(true); // white band on top
    const left = pixel(frame, 8, 30);
    const right = pixel(frame, 56, 30);
    expect(left[0]).toBeGreaterThan(200); // red on the left
    expect(right[2]).toBeGreaterThan(200); // blue on the right
  });

  it('turns non-square pixels square (sample aspect ratio 2:1 doubles the width)', async () => {
    const path = join(dir, 'anamorphic.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:d=0.3:r=10', '-vf', 'setsar=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path);
    const info = await probeVideo(path);
    expect([info.width, info.height]).toEqual([128, 48]);
    const frames = await readAllFrames(path);
    expect(frames.length).toBe(3);
    expect(frames[0].data.length).toBe(128 * 48 * 3);
  });

  it('rounds the square-pixel width to an even number (a nearly square 1281:1280 gives 640, not 641)', async () => {
    const path = join(dir, 'nearly-square.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=640x360:d=0.1:r=10', '-vf', 'setsar=1281/1280', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path);
    const info = await probeVideo(path);
    expect([info.width, info.height]).toEqual([640, 360]);
  });

  it('resamples variable-frame-rate input to its average rate, keeping its duration', async () => {
    const path = join(dir, 'vfr.mp4');
    // 48 frames at 24 fps with frames 10..29 dropped and their time kept: a 2 s, 28-frame VFR clip.
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:d=2:r=24', '-vf', "select='not(between(n,10,29))'", '-vsync', 'vfr', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path);
    const info = await probeVideo(path);
    expect(info.variableFrameRate).toBe(true);
    const model = writeTinyModel(join(dir, 'tiny'));
    const output = join(dir, 'vfr.out.mp4');
    await stylizeVideo({ input: path, output, style: 'tiny', model, temporal: false });
    const [inV] = streams(path);
    const [outV] = streams(output);
    expect(Number(outV.duration)).toBeCloseTo(Number(inV.duration), 1);
    const fps = info.fps.num / info.fps.den;
    expect(Number(outV.nb_read_frames)).toBeCloseTo(Number(inV.duration) * fps, -0.5);
  });
});
