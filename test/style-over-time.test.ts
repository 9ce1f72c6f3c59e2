// Styles that change over time (--style-at, --style-fade): each part of a render against renders of
// one style, a crossfade's frames against their formula, shards against one run, switches by time
// onto a real cut, and bad values refused before any work.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtInPicture, decodeFrames, ffmpegBinaries, magentaOnnx, probeVideo, resolveVideo, startEncoder, stylizeVideo, type RgbFrame } from 'stylize-video';
import { plannedRuns } from '../src/job/index.js';
import { shardArguments } from '../src/options/derive.js';
import { warmupFrames } from '../src/parts/part-plan.js';
import { OnnxNet } from '../src/stylize/onnx-net.js';
import { TRANSFORMER } from '../src/stylize/magenta.js';
import { pictureStyleVector } from '../src/stylize/stylizer.js';
import { runCli } from './helpers/cli.js';
import { psnr, readAllFrames } from './helpers/media.js';
import { tinyModelAndClip } from './helpers/fixture.js';
import { writeTinyModel } from './helpers/tiny-model.js';

let dir: string;
let modelA: string;
let modelB: string;
let clip: string;

beforeAll(() => {
  // 48 frames at 24 fps; two tiny networks of different weights.
  ({ dir, model: modelA, clip } = tinyModelAndClip('clip.mp4', { width: 64, height: 48, seconds: 2 }));
  modelB = writeTinyModel(join(dir, 'tiny-b'), 7);
});

const render = (args: string[]) => {
  const r = runCli([clip, '--crf', '0', '--part-frames', '8', '-y', ...args]);
  expect(r.status, r.stderr).toBe(0);
};

const stillPixels = async (path: string) => new Uint8Array(await sharp(path).raw().toBuffer());

/** One 64x48 frame as the render encodes it (h264, lossless). */
async function encodeOne(data: Uint8Array, path: string): Promise<string> {
  const encoder = startEncoder({ path, container: 'mp4', width: 64, height: 48, fps: { num: 24, den: 1 }, codec: 'h264', crf: 0 });
  await encoder.write({ index: 0, width: 64, height: 48, data });
  await encoder.finish();
  return path;
}

async function inputFrame(index: number): Promise<RgbFrame> {
  for await (const frame of decodeFrames(await probeVideo(clip), { startFrame: index, frameCount: 1 })) return frame;
  throw new Error(`no frame ${index}`);
}

describe('a switch without a crossfade', () => {
  it('frames before it are a render of the first style ending there, frames from it a fresh render of the second', async () => {
    const scheduled = join(dir, 'hard.mp4'), first = join(dir, 'hard-a.mp4'), second = join(dir, 'hard-b.mp4');
    render(['--model', modelA, '--style-at', `f20=${modelB}`, '--temporal', '0.7', '-o', scheduled]);
    render(['--model', modelA, '--frames', '0-19', '--temporal', '0.7', '-o', first]);
    render(['--model', modelB, '--frames', '20-47', '--temporal', '0.7', '-o', second]);
    const [out, a, b] = await Promise.all([readAllFrames(scheduled), readAllFrames(first), readAllFrames(second)]);
    expect([out.length, a.length, b.length]).toEqual([48, 20, 28]);
    const reference = [...a, ...b];
    const differing = out.flatMap((frame, i) => (Buffer.compare(frame.data, reference[i].data) === 0 ? [] : [i]));
    expect(differing).toEqual([]);
  });

  it('a part after it warms up from the switch, not before it, and takes no look-ahead across it', () => {
    const span = { start: 0, end: 47 };
    const parts = Array.from({ length: 6 }, (_, index) => ({ index, start: 8 * index, end: 8 * index + 7 }));
    const runs = plannedRuns({ span, shardParts: parts, strength: 0.7, warmupLimit: warmupFrames(0.7), restarts: [20, 32] }, new Set([0, 2, 4]));
    // runs: part 1 (8-15), part 3 (24-31), part 5 (40-47)
    expect(runs.map((r) => [r.parts[0].start - r.warmup, r.parts.at(-1)!.end + r.lookahead])).toEqual([[0, 17], [20, 31], [32, 47]]);
    // a switch within the look-ahead's reach: it stops before the switch
    const near = plannedRuns({ span, shardParts: parts, strength: 0.7, warmupLimit: warmupFrames(0.7), restarts: [17] }, new Set([0, 2, 3, 4, 5]));
    expect(near.map((r) => r.parts.at(-1)!.end + r.lookahead)).toEqual([16]);
  });

  it('two shards join into one run exactly, the second warming up from the switch', async () => {
    const single = join(dir, 'hard-single.mp4'), sharded = join(dir, 'hard-sharded.mp4');
    const args = ['--model', modelA, '--style-at', `f20=${modelB}`, '--temporal', '0.7'];
    render([...args, '-o', single]);
    for (const shard of ['0/2', '1/2']) render([...args, '-o', sharded, '--shard', shard]);
    expect(runCli(['join', sharded]).status).toBe(0);
    const [a, b] = await Promise.all([readAllFrames(single), readAllFrames(sharded)]);
    expect(b.length).toBe(48);
    expect(a.map((f, i) => psnr(f.data, b[i].data)).every((s) => s === Infinity)).toBe(true);
  });
});

describe('--style-strength with a schedule', () => {
  it("acts on a switch to a picture when the style before it is a network: frames from the switch equal the picture's own render at that strength", async () => {
    const scheduled = join(dir, 'strength.mp4'), alone = join(dir, 'strength-picture.mp4');
    render(['--model', modelA, '--style-at', 'f20=hokusai', '--style-strength', '0.5', '--no-temporal', '--frames', '0-23', '-o', scheduled]);
    render(['--style', 'hokusai', '--style-strength', '0.5', '--no-temporal', '--frames', '0-23', '-o', alone]);
    const [out, picture] = await Promise.all([readAllFrames(scheduled), readAllFrames(alone)]);
    expect(out.slice(20).map((f, i) => Buffer.compare(f.data, picture[20 + i].data))).toEqual([0, 0, 0, 0]);
    const full = join(dir, 'strength-full.mp4');
    render(['--style', 'hokusai', '--no-temporal', '--frames', '20-20', '-o', full]);
    expect(Buffer.compare((await readAllFrames(full))[0].data, out[20].data)).not.toBe(0);
  });

  it('is refused, one line and exit 2, where no style of the schedule is a picture', () => {
    const output = join(dir, 'never.mp4');
    const r = runCli([clip, '--model', modelA, '-o', output, '--style-at', `f3=${modelB}`, '--style-strength', '0.5']);
    expect([r.status, r.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(r.stderr).toMatch(/--style-strength applies to a picture style/);
    expect(existsSync(output)).toBe(false);
  });
});

describe('a crossfade', () => {
  // f20 with a fade of 0.5 s (12 frames at 24 fps): frames 20-31, t = (k + 1) / 13.
  const t = (frame: number) => (frame - 20 + 1) / 13;

  it("between two networks mixes their outputs: t · B + (1 − t) · A, frame 25's t = 6/13", async () => {
    const fade = ['--style-at', `f20=${modelB}`, '--style-fade', '0.5'];
    const frame = (name: string, args: string[]) => {
      const output = join(dir, name);
      expect(runCli([clip, '--frames', '25', '-o', output, '-y', ...args]).status).toBe(0);
      return stillPixels(output);
    };
    const [mixed, a, b] = await Promise.all([frame('fade-25.png', ['--model', modelA, ...fade]), frame('a-25.png', ['--model', modelA]), frame('b-25.png', ['--model', modelB])]);
    const expected = Uint8Array.from(a, (v, i) => Math.round(t(25) * b[i] + (1 - t(25)) * v));
    expect(Buffer.compare(mixed, expected)).toBe(0);
    // the video's frames, temporal stage off: before the fade A's, in it the same mix (through the encoder's 4:2:0), after it B's
    const video = join(dir, 'fade-off.mp4'), videoA = join(dir, 'a-off.mp4'), videoB = join(dir, 'b-off.mp4');
    render(['--model', modelA, ...fade, '--no-temporal', '-o', video]);
    render(['--model', modelA, '--no-temporal', '-o', videoA]);
    render(['--model', modelB, '--no-temporal', '-o', videoB]);
    const [out, onlyA, onlyB] = await Promise.all([readAllFrames(video), readAllFrames(videoA), readAllFrames(videoB)]);
    for (let i = 0; i < 48; i++) {
      if (i < 20) expect(Buffer.compare(out[i].data, onlyA[i].data), `frame ${i}`).toBe(0);
      else if (i >= 32) expect(Buffer.compare(out[i].data, onlyB[i].data), `frame ${i}`).toBe(0);
    }
    // lossless h264 stores each frame's 4:2:0 conversion exactly: the formula's frame through the same encoder is the video's
    const throughCodec = async (data: Uint8Array) => (await readAllFrames(await encodeOne(data, join(dir, `one-${Math.random()}.mp4`))))[0].data;
    expect(Buffer.compare(await throughCodec(a), onlyA[25].data)).toBe(0);
    expect(Buffer.compare(await throughCodec(expected), out[25].data)).toBe(0);
  });

  it('between two pictures interpolates their style vectors: the transformer on (1 − t) · a + t · b', async () => {
    const output = join(dir, 'pictures-25.png');
    expect(runCli([clip, '--frames', '25', '-o', output, '-y', '--style', 'hokusai', '--style-at', 'f20=munch', '--style-fade', '0.5']).status).toBe(0);
    const [a, b] = await Promise.all(['hokusai', 'munch'].map((name) => pictureStyleVector({ style: builtInPicture(name)! })));
    const vector = Float32Array.from(a, (v, i) => (1 - t(25)) * v + t(25) * b[i]);
    const net = await OnnxNet.create({ model: await magentaOnnx(TRANSFORMER), feeds: { style_vector: { data: vector, dims: [1, 1, 1, vector.length] } } }, 1);
    const [expected] = await net.stylize([await inputFrame(25)]);
    await net.dispose();
    const got = await stillPixels(output);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected.data[i])))).toBeLessThanOrEqual(1);
  }, 60_000);

  it('a shard boundary inside it joins as one run: the temporal stage runs through the fade', async () => {
    // parts of 8: shards 0-23 and 24-47, the boundary at frame 24 in the fade (20-31)
    const args = ['--model', modelA, '--style-at', `f20=${modelB}`, '--style-fade', '0.5', '--temporal', '0.7'];
    const single = join(dir, 'fade-single.mp4'), sharded = join(dir, 'fade-sharded.mp4');
    render([...args, '-o', single]);
    for (const shard of ['0/2', '1/2']) render([...args, '-o', sharded, '--shard', shard]);
    expect(runCli(['join', sharded]).status).toBe(0);
    const [a, b] = await Promise.all([readAllFrames(single), readAllFrames(sharded)]);
    expect(b.length).toBe(48);
    const scores = a.map((f, i) => psnr(f.data, b[i].data));
    console.log(`fade across a shard boundary, PSNR per frame from 24: ${scores.slice(24).map((s) => s.toFixed(1)).join(' ')}`);
    expect(scores.slice(0, 24).every((s) => s === Infinity)).toBe(true);
    // the warm-up replays 20 frames through the fade (measured: 68-83 dB after the boundary; parts without a schedule are held to 35)
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(50);
  });
});

describe('a switch by time', () => {
  it('lands on a hard cut within half a second; a frame number is exact', async () => {
    // 1 s of the test pattern, then 1 s of the Mandelbrot zoom: a hard cut at frame 24
    const cut = join(dir, 'cut.mp4');
    const source = (filter: string) => `${filter}=size=64x48:rate=24,trim=duration=1,setpts=PTS-STARTPTS,format=yuv420p`;
    execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', source('testsrc2'), '-f', 'lavfi', '-i', source('mandelbrot'), '-filter_complex', '[0][1]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-crf', '12', cut]);
    const switches = async (styleAt: Array<{ time: number } | { frame: number }>) =>
      (await resolveVideo({ input: cut, model: modelA, output: join(dir, 'never.mp4'), styleAt: styleAt.map((at) => ({ ...at, style: modelB })) })).schedule!.switches.map((s) => s.frame);
    expect(await switches([{ time: 0.6 }])).toEqual([24]);
    expect(await switches([{ time: 1.45 }])).toEqual([24]);
    expect(await switches([{ time: 0.3 }])).toEqual([8]);
    expect(await switches([{ frame: 22 }])).toEqual([22]);
    const job = await resolveVideo({ input: cut, model: modelA, output: join(dir, 'never.mp4'), styleAt: [{ time: '0:00.9', style: modelB }] });
    expect(job.restarts).toEqual([24]);
  });
});

describe('everywhere a render goes', () => {
  it('--json gives the switches as resolved', () => {
    const r = runCli([clip, '--model', modelA, '-o', join(dir, 'json.mp4'), '-y', '--no-temporal', '--frames', '0-11', '--style-at', `0.25=${modelB}`, '--style-fade', '0.1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).styleAt).toEqual([{ frame: 6, fadeFrames: 2, style: 'tiny-b' }]);
  });

  it('plan hands the schedule to its shards and plan.json records it; a shard with another is refused', () => {
    const r = runCli(['plan', clip, '--model', modelA, '--shards', '2', '--part-frames', '8', '--style-at', `f20=${modelB}`, '--style-at', '1.5=hokusai', '--style-fade', '0.25']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).shardCommand).toEqual(expect.arrayContaining(['--style-at', `f20=${modelB}`, '--style-at', `1.5=hokusai`, '--style-fade', '0.25']));
    // a picture reaches the shards by its absolute path
    expect(shardArguments({ styleAt: [{ time: '1:02.5', style: 'art/painting.jpg' }, { frame: 3, style: 'wave' }] }, ['styleAt'])).toEqual(['--style-at', `1:02.5=${resolve('art/painting.jpg')}`, '--style-at', 'f3=wave']);
    const output = join(dir, 'planned.mp4');
    const shard = (fade: string) => runCli([clip, '--model', modelA, '-o', output, '--part-frames', '8', '--shard', '0/2', '--no-temporal', '--style-at', `f20=${modelB}`, '--style-fade', fade]);
    expect(shard('0.25').status).toBe(0);
    const settings = JSON.parse(readFileSync(join(`${output}.parts`, 'plan.json'), 'utf8')).settings;
    expect(settings.styleAt).toMatch(/^frame 20 \(fade 6 frames\): model tiny-b \(weights sha256 [0-9a-f]{64}\)$/);
    expect(settings.styleFade).toBe(0.25);
    const other = shard('0.5');
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds parts of another render \(--style-at/);
  });

  it("a contact sheet shows each sampled frame in its time's style", async () => {
    const sheet = (name: string, args: string[]) => {
      const output = join(dir, name);
      expect(runCli(['preview', clip, '-o', output, '--count', '2', '--scale', '1', ...args]).status).toBe(0);
      return sharp(output).raw().toBuffer({ resolveWithObject: true });
    };
    const [scheduled, onlyA, onlyB] = await Promise.all([sheet('sheet.png', ['--model', modelA, '--style-at', `f20=${modelB}`]), sheet('sheet-a.png', ['--model', modelA]), sheet('sheet-b.png', ['--model', modelB])]);
    // one row, two cells (frame 0, frame 47), each original | 4 px | stylized, 64 px each, 8 px apart
    const stylized = (image: typeof scheduled, cell: number, y: number) => image.data.subarray((y * image.info.width + cell * 140 + 68) * 3, (y * image.info.width + cell * 140 + 132) * 3);
    for (let y = 0; y < 48; y++) {
      expect(Buffer.compare(stylized(scheduled, 0, y), stylized(onlyA, 0, y))).toBe(0);
      expect(Buffer.compare(stylized(scheduled, 1, y), stylized(onlyB, 1, y))).toBe(0);
    }
    expect(Buffer.compare(stylized(onlyA, 1, 20), stylized(onlyB, 1, 20))).not.toBe(0);
  });
});

describe('bad values: one line, exit 2, before any work', () => {
  const missing = '/nonexistent/painting.jpg';
  it.each([
    [['f48=wave'], undefined, /^styleAt f48=wave: frame 48 is past the end \(the last frame shown is 47/],
    [['f30=wave', 'f10=munch'], undefined, /^styleAt f10=munch: comes before f30=wave/],
    [['f24=wave', '1=munch'], undefined, /^styleAt 1=munch: lands on the same frame as f24=wave/],
    [['f10=nosuchstyle'], undefined, /^unknown style 'nosuchstyle'/],
    [[`f10=${missing}`], undefined, /^style image \/nonexistent\/painting\.jpg does not exist/],
    [['f10=wave', 'f20=munch'], 1, /^styleFade 1: 24 frames, longer than the 10 from f10=wave to the next switch, f20=munch/],
    [['f40=wave'], 1, /^styleFade 1: 24 frames, longer than the 8 from f40=wave to the end of the video/],
    [['f10wave'], undefined, /^styleAt f10wave: write <time>=<style>/],
    [['fx=wave'], undefined, /^styleAt fx=wave: write <time>=<style> .*a frame is a whole number/],
    [['1:75=wave'], undefined, /^styleAt 1:75=wave: give a time as seconds/],
    [[], 1, /^styleFade crossfades between the styles styleAt switches to/],
    [['f10=wave'], -1, /^styleFade -1: give the crossfade's length in seconds/],
  ])('%j, fade %s', async (switches, fade, message) => {
    const output = join(dir, 'never.mp4');
    const styleAt = switches.map((s) => {
      const [when, style] = s.includes('=') ? [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] : [s, ''];
      return when.startsWith('f') ? { frame: /^f\d+$/.test(when) ? Number(when.slice(1)) : (when as never), style } : { time: when, style };
    });
    const api = /^styleAt (f10wave|fx=wave)/.test(message.source.slice(1)) ? undefined : styleAt;
    if (api) await expect(stylizeVideo({ input: clip, model: modelA, output, styleAt: api.length ? api : undefined, styleFade: fade })).rejects.toThrow(message);
    const r = runCli([clip, '--model', modelA, '-o', output, ...switches.flatMap((s) => ['--style-at', s]), ...(fade === undefined ? [] : ['--style-fade', String(fade)])]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.parts`)).toBe(false);
  });

  it('every style of a schedule runs at fp32: int8 refused', async () => {
    const output = join(dir, 'never.mp4');
    await expect(stylizeVideo({ input: clip, model: modelA, output, styleAt: [{ frame: 3, style: modelB }], precision: 'int8' })).rejects.toThrow(/^styleAt runs every style at fp32/);
    const r = runCli([clip, '--model', modelA, '-o', output, '--style-at', `f3=${modelB}`, '--precision', 'int8']);
    expect([r.status, r.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(existsSync(output)).toBe(false);
  });

  it('a picture has no time: refused', async () => {
    const photo = join(dir, 'photo.png');
    await sharp(Buffer.alloc(8 * 6 * 3, 128), { raw: { width: 8, height: 6, channels: 3 } }).png().toFile(photo);
    const r = runCli([photo, '--model', modelA, '-o', join(dir, 'never.png'), '--style-at', 'f1=wave']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is a picture: --style-at switches style along a video's time/);
    expect(existsSync(join(dir, 'never.png'))).toBe(false);
  });
});
