import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames, ffmpegBinaries, parseFrameRange, probeVideo, stylizeVideo, UsageError } from 'stylize-video';
import { clampFrameRange } from '../src/decode/frame-range.js';
import { streams, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';

describe('frame range parser', () => {
  it('reads "a-b", "a-" and "n"', () => {
    expect(parseFrameRange('120-239')).toEqual({ start: 120, end: 239 });
    expect(parseFrameRange('120-')).toEqual({ start: 120, end: undefined });
    expect(parseFrameRange('42')).toEqual({ start: 42, end: 42 });
  });

  it('property: any a <= b round-trips; b < a is refused as reversed', () => {
    fc.assert(
      fc.property(fc.nat(1e6), fc.nat(1e6), (a, b) => {
        if (a <= b) return JSON.stringify(parseFrameRange(`${a}-${b}`)) === JSON.stringify({ start: a, end: b });
        expect(() => parseFrameRange(`${a}-${b}`)).toThrow(/reversed/);
        return true;
      }),
    );
  });

  it('property: any other text is a UsageError, never a half-read range', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const r = parseFrameRange(text);
          return /^\s*\d+\s*(-\s*\d*)?\s*$/.test(text) && Number.isInteger(r.start);
        } catch (err) {
          return err instanceof UsageError;
        }
      }),
    );
  });

  it('property: a clamped range lies inside the video, or is refused', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.option(fc.nat(500), { nil: undefined }), fc.integer({ min: 1, max: 400 }), (start, endOrNone, frames) => {
        const end = endOrNone === undefined ? undefined : Math.max(start, endOrNone);
        try {
          const { start: s, count } = clampFrameRange({ start, end }, frames);
          return s === start && count >= 1 && s + count <= frames;
        } catch (err) {
          return err instanceof UsageError && (start >= frames || (end ?? 0) >= frames);
        }
      }),
    );
  });
});

describe('frame ranges through the pipeline', () => {
  let dir: string;
  let numbered: string;
  let model: string;
  beforeAll(() => {
    dir = tempDir();
    model = writeTinyModel(join(dir, 'tiny'));
    numbered = join(dir, 'numbered.mp4');
    // Frame n carries its own number as its brightness (4n), so decoding proves which frames came out.
    execFileSync(ffmpegBinaries().ffmpeg, [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', "color=c=black:s=32x16:r=24:d=2,format=gray,geq=lum='4*N'",
      '-f', 'lavfi', '-i', 'sine=d=2:sample_rate=48000',
      '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p', '-g', '12', '-c:a', 'aac', numbered,
    ]);
  });

  const numbersIn = async (range: { startFrame: number; frameCount: number }) => {
    const out: number[] = [];
    for await (const f of decodeFrames(await probeVideo(numbered), range)) {
      out.push(Math.round(f.data[0] / 4));
      expect(f.index).toBe(range.startFrame + out.length - 1);
    }
    return out;
  };

  it('decodes exactly the frames asked for', async () => {
    expect(await numbersIn({ startFrame: 5, frameCount: 3 })).toEqual([5, 6, 7]);
    expect(await numbersIn({ startFrame: 13, frameCount: 1 })).toEqual([13]);
    expect(await numbersIn({ startFrame: 40, frameCount: 8 })).toEqual([40, 41, 42, 43, 44, 45, 46, 47]);
  });

  it('writes only the range, with the audio under it', async () => {
    const output = join(dir, 'range.mp4');
    const result = await stylizeVideo({ input: numbered, output, style: 'tiny', model, frames: '24-35', temporal: false });
    expect(result.frames).toBe(12);
    const [v, a] = streams(output);
    expect(Number(v.nb_read_frames)).toBe(12);
    expect(Number(v.duration)).toBeCloseTo(0.5, 2);
    expect(Number(a.duration)).toBeCloseTo(0.5, 1);
  });

  it('refuses ranges past the end, leaving no output', async () => {
    const output = join(dir, 'past.mp4');
    await expect(stylizeVideo({ input: numbered, output, style: 'tiny', model, frames: '40-60' })).rejects.toThrow(/has 48 frames \(0-47\)/);
    await expect(stylizeVideo({ input: numbered, output, style: 'tiny', model, frames: '48-' })).rejects.toThrow(/has 48 frames/);
    expect(existsSync(output)).toBe(false);
  });
});
