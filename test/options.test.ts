// The option table: each option declared once, named as the caller wrote it (an API property, or a
// flag on the command line), and one library call that routes any input as the command line does.
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS, stylize, stylizeVideo } from 'stylize-video';
import { PIXEL_OPTIONS, shardArguments } from '../src/options/derive.js';
import { runCli } from './helpers/cli.js';
import { tinyModelAndClip } from './helpers/fixture.js';

let dir: string;
let model: string;
let clip: string;

beforeAll(() => {
  ({ dir, model, clip } = tinyModelAndClip('clip.mp4', { width: 64, height: 48, seconds: 0.5 }));
});

describe('errors name the option as the caller wrote it', () => {
  it.each([
    [{ temporal: 2 }, /^temporal 2: give a strength between 0 and 1$/, /--temporal <strength>' argument '2' is invalid\. give a strength between 0 and 1/, ['--temporal', '2']],
    [{ crf: 99 }, /^crf 99: give a whole number from 0 to 63$/, /--crf <n>' argument '99' is invalid/, ['--crf', '99']],
    [{ codec: 'prores' as const, crf: 10, output: '/tmp/x.mov' }, /^crf does not apply to prores: choose its quality with preset 0\.\.5/, /^stylize-video: --crf does not apply to prores: choose its quality with --preset 0\.\.5/, ['--codec', 'prores', '--crf', '10', '-o', 'x.mov']],
    [{ frames: '9-3' }, /^frames 9-3: the range is reversed/, /^stylize-video: --frames 9-3: the range is reversed/, ['--frames', '9-3']],
    [{ partFrames: 0 }, /^partFrames 0: give a whole number from 1 to 1000000$/, /--part-frames <n>' argument '0' is invalid/, ['--part-frames', '0']],
    [{ detail: 3 }, /^detail 3: give a gain from 1 \(the blend as it is\) to 2/, /^stylize-video: --detail 3: give a gain from 1 \(the blend as it is\) to 2/, ['--detail', '3']],
    [{ detail: 1.3, temporal: false }, /^detail sharpens what the temporal stage blends, and the stage is off \(temporal 0 or off\): leave out one of the two$/, /^stylize-video: --detail sharpens what the temporal stage blends, and the stage is off \(--temporal 0 or off\)/, ['--detail', '1.3', '--no-temporal']],
  ])('%j', async (options, api, cli, flags) => {
    await expect(stylizeVideo({ input: clip, model, ...options })).rejects.toThrow(api);
    const r = runCli([clip, '--model', model, ...flags], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(cli);
  });
});

describe('the table', () => {
  it('says which options change the pixels (plan.json) and which reach the shards', () => {
    expect(PIXEL_OPTIONS).toEqual(['style', 'styleStrength', 'strokeScale', 'intensity', 'originalColors', 'styleAt', 'styleFade', 'model', 'temporal', 'detail', 'codec', 'crf', 'preset', 'partFrames', 'precision']);
    // A picture style reaches the shards by its absolute path, with its strength.
    expect(shardArguments({ style: 'art/painting.jpg', styleStrength: 0.5 }, Object.keys(OPTIONS) as never)).toEqual(['--style', resolve('art/painting.jpg'), '--style-strength', '0.5']);
    expect(shardArguments({ style: 'udnie', temporal: false, crf: 20, backend: 'wasm', concurrency: 3 }, Object.keys(OPTIONS) as never)).toEqual(['--style', 'udnie', '--no-temporal', '--crf', '20']);
    expect(shardArguments({ style: 'udnie', detail: 1.3 }, Object.keys(OPTIONS) as never)).toEqual(['--style', 'udnie', '--detail', '1.3']);
    // the default detail gain travels as the default: a shard's own default is the same
    expect(shardArguments({ style: 'udnie', detail: OPTIONS.detail.default }, Object.keys(OPTIONS) as never)).toEqual(['--style', 'udnie']);
  });
});

describe('stylize: one call for any input', () => {
  it('stylizes an image, a single frame of a video, or a video', async () => {
    const photo = join(dir, 'photo.png');
    await sharp({ create: { width: 20, height: 12, channels: 3, background: '#3080c0' } }).png().toFile(photo);
    expect(await stylize({ input: photo, model, style: 'tiny' })).toMatchObject({ kind: 'image', output: join(dir, 'photo.tiny.png'), width: 20, height: 12 });
    expect(await stylize({ input: clip, model, output: join(dir, 'frame.png'), frames: '3' })).toMatchObject({ kind: 'frame', frame: 3, width: 64, height: 48 });
    await expect(stylize({ input: clip, model, output: join(dir, 'frames.png'), frames: '3-5' })).rejects.toThrow(/holds one frame, so choose it with frames N/);
    expect(await stylize({ input: clip, model, style: 'tiny', temporal: false })).toMatchObject({ kind: 'video', frames: 12, joined: true });
  });
});
