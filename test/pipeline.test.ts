import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, stylizeVideo, type RgbFrame } from 'stylize-video';
import { makeClip, psnr, readAllFrames, sharedModels, streams, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';

let dir: string;
let model: string;

beforeAll(() => {
  dir = tempDir();
  model = writeTinyModel(join(dir, 'tiny'));
});

const fpsOf = (s: Record<string, string>) => eval(s.r_frame_rate) as number;

describe('stylizeVideo end to end (real ffmpeg, tiny model)', () => {
  it.each([
    [854, 480, 24],
    [97, 61, 25],
  ])('%ix%i keeps frame count, size, frame rate, duration and audio', async (width, height, fps) => {
    const input = makeClip(join(dir, `in-${width}.mp4`), { width, height, seconds: 1, fps });
    const before = readFileSync(input);
    const output = join(dir, `out-${width}.mp4`);
    const events: string[] = [];
    const result = await stylizeVideo({ input, output, style: 'tiny', model, temporal: false, concurrency: 2, onEvent: (e) => events.push(e.type) });
    expect(result.frames).toBe(fps);
    const [inV, inA] = streams(input);
    const out = streams(output);
    const outV = out.find((s) => s.codec_type === 'video')!;
    const outA = out.find((s) => s.codec_type === 'audio');
    expect(Number(outV.nb_read_frames)).toBe(Number(inV.nb_read_frames));
    expect([Number(outV.width), Number(outV.height)]).toEqual([width, height]);
    expect(fpsOf(outV)).toBeCloseTo(fpsOf(inV), 6);
    expect(Number(outV.duration)).toBeCloseTo(Number(inV.duration), 2);
    expect(outA).toBeDefined();
    expect(Number(outA!.duration)).toBeCloseTo(Number(inA.duration), 2);
    expect(events[0]).toBe('start');
    expect(events.filter((e) => e === 'progress').length).toBeGreaterThan(0);
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it.each([
    ['wave', 30],
    ['tiny', undefined],
  ] as const)('frames agree with an independent per-frame run of the same network (%s model)', async (style, minimumPsnr) => {
    if (style === 'wave' && !sharedModels) return;
    const modelDir = style === 'wave' ? join(sharedModels!, 'wave') : model;
    const input = makeClip(join(dir, `agree-${style}.mp4`), { width: 160, height: 90, seconds: 0.5, fps: 24, audio: false });
    const output = join(dir, `agree-${style}.out.mp4`);
    await stylizeVideo({ input, output, style, model: modelDir, temporal: false, concurrency: 2, batch: 2, crf: 10 });
    const inputs = await readAllFrames(input);
    const outputs = await readAllFrames(output);
    expect(outputs.length).toBe(inputs.length);
    const single = await createStylizer({ style, modelDir, backend: 'wasm', concurrency: 1 });
    const references: RgbFrame[] = [];
    for (const frame of inputs) references.push((await single.stylize([frame]))[0]);
    await single.close();
    const scores = outputs.map((o, i) => psnr(o.data, references[i].data));
    // Each output is its own input's stylization, not a neighbour's: order survives the thread pool.
    for (let i = 1; i < outputs.length; i++) expect(scores[i]).toBeGreaterThan(psnr(outputs[i].data, references[i - 1].data));
    if (minimumPsnr) expect(scores.reduce((a, b) => a + b) / scores.length).toBeGreaterThanOrEqual(minimumPsnr);
  });

  it('refuses to overwrite an existing output without overwrite, and leaves it untouched', async () => {
    const input = makeClip(join(dir, 'exists.mp4'), { width: 64, height: 48, seconds: 0.25, audio: false });
    const output = join(dir, 'exists.out.mp4');
    await stylizeVideo({ input, output, style: 'tiny', model, temporal: false });
    const first = readFileSync(output);
    await expect(stylizeVideo({ input, output, style: 'tiny', model, temporal: false })).rejects.toThrow(/already exists: pass overwrite: true/);
    expect(readFileSync(output).equals(first)).toBe(true);
    await stylizeVideo({ input, output, style: 'tiny', model, temporal: false, overwrite: true });
    expect(existsSync(output)).toBe(true);
  });
});
