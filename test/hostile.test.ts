// Hostile inputs and options, each made here by the test, each with its expected exit code and
// message. After every case: the input is byte-for-byte unchanged, nothing sits at the output path
// unless the run succeeded, no temporary file is left, and no ffmpeg is still running.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegBinaries } from 'stylize-video';
import { makeClip, streams, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';
import { BIN } from './helpers/cli.js';

let dir: string;
let model: string;
let good: string;

const ffmpeg = (...args: string[]) => execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', ...args]);
const hash = (path: string) => (existsSync(path) && statSync(path).isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'none');

interface Case {
  name: string;
  /** makes the input (and anything else the case needs) and returns its path */
  make: () => string;
  /** arguments after the input; the output defaults to <dir>/out-<n>.mp4 */
  args?: string[];
  output?: string | null;
  exit: number;
  message?: RegExp;
  /** run without --model, so the catalogue is consulted */
  catalogue?: boolean;
  /** for cases that must succeed: what the output must hold */
  check?: (output: string) => void;
}

/** A PNG that claims a size it does not hold: sharp reads the size from its header without decoding. */
function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1))), chunk('IEND', Buffer.alloc(0))]);
}

const clip = (name: string, ...encode: string[]) => {
  const path = join(dir, name);
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=10:d=0.5', ...encode, path);
  return path;
};
const write = (name: string, bytes: Uint8Array | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const videoFrames = (output: string) => Number(streams(output).find((s) => s.codec_type === 'video')!.nb_read_frames);

const CASES: Case[] = [
  { name: 'missing path', make: () => join(dir, 'nope.mp4'), exit: 1, message: /input not found/ },
  { name: 'a directory', make: () => (mkdirSync(join(dir, 'folder.mp4'), { recursive: true }), join(dir, 'folder.mp4')), exit: 1, message: /not a file/ },
  { name: 'text named .mp4', make: () => write('text.mp4', 'hello, I am not a video\n'.repeat(20)), exit: 1, message: /cannot read .* as media/ },
  { name: 'empty file', make: () => write('empty.mp4', new Uint8Array()), exit: 1, message: /empty \(0 bytes\)/ },
  {
    name: 'truncated, index at the end',
    make: () => write('trunc-end.mp4', readFileSync(good).subarray(0, Math.floor(statSync(good).size * 0.6))),
    exit: 1,
    message: /cannot read .* as media/,
  },
  {
    name: 'truncated, index at the front',
    make: () => {
      const fast = clip('faststart.mp4', '-c:v', 'libx264', '-movflags', '+faststart', '-t', '3');
      return write('trunc-front.mp4', readFileSync(fast).subarray(0, Math.floor(statSync(fast).size * 0.5)));
    },
    exit: 1,
    message: /is truncated|truncated or corrupt/,
  },
  {
    name: 'truncated MKV',
    make: () => {
      const mkv = clip('whole.mkv', '-c:v', 'libx264', '-t', '3');
      return write('trunc.mkv', readFileSync(mkv).subarray(0, Math.floor(statSync(mkv).size * 0.5)));
    },
    exit: 1,
    message: /trunc\.mkv is truncated \(File ended prematurely\): its video stops after \d+ frames/,
  },
  {
    name: 'truncated AVI',
    make: () => {
      // Large enough frames that half the file is well past AVI's padded header.
      const avi = join(dir, 'whole.avi');
      ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10:d=3', '-c:v', 'mpeg4', avi);
      return write('trunc.avi', readFileSync(avi).subarray(0, Math.floor(statSync(avi).size * 0.5)));
    },
    exit: 1,
    message: /trunc\.avi is truncated \(Packet corrupt/,
  },
  {
    name: 'corrupt container header',
    make: () => {
      const bytes = Buffer.from(readFileSync(good));
      for (let i = 0; i < 64; i++) bytes[i] ^= 0x5a;
      return write('corrupt-head.mp4', bytes);
    },
    exit: 1,
    message: /cannot read .* as media/,
  },
  {
    name: 'audio only',
    make: () => (ffmpeg('-f', 'lavfi', '-i', 'sine=d=0.5', '-c:a', 'aac', join(dir, 'audio.m4a')), join(dir, 'audio.m4a')),
    exit: 1,
    message: /no video stream/,
  },
  {
    name: 'fragmented-MP4 init segment, no frames',
    make: () => {
      const frag = clip('frag.mp4', '-c:v', 'libx264', '-movflags', 'frag_keyframe+empty_moov');
      const bytes = readFileSync(frag);
      const moof = bytes.indexOf('moof');
      return write('init-only.mp4', bytes.subarray(0, moof - 4));
    },
    exit: 1,
    message: /no frame could be decoded|no video stream|cannot read/,
  },
  {
    name: 'encrypted stream (CENC)',
    make: () => clip('encrypted.mp4', '-c:v', 'libx264', '-encryption_scheme', 'cenc-aes-ctr', '-encryption_key', '76a6c65c5ea762046bd749a2e632ccbb', '-encryption_kid', 'a7e61c373e219033c21091fa607bf3b8'),
    exit: 1,
    // Recognised from the container: decoding scrambled samples gives anything from no frame to garbage.
    message: /is encrypted \(Common Encryption, DRM\)/,
  },
  {
    name: 'huge dimensions',
    make: () => {
      const path = join(dir, 'huge.mkv');
      ffmpeg('-f', 'lavfi', '-i', 'color=c=gray:s=9000x9000:d=0.1:r=10', '-frames:v', '1', '-c:v', 'png', path);
      return path;
    },
    exit: 1,
    message: /9000x9000 are larger than the .* megapixel limit/,
  },
  { name: 'single frame', make: () => clip('one.mp4', '-c:v', 'libx264', '-frames:v', '1'), exit: 0, check: (o) => expect(videoFrames(o)).toBe(1) },
  { name: '10-bit', make: () => clip('ten-bit.mp4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p10le'), exit: 0, check: (o) => expect(videoFrames(o)).toBe(5) },
  { name: 'alpha channel', make: () => clip('alpha.mov', '-vf', 'format=rgba', '-c:v', 'qtrle'), exit: 0, check: (o) => expect(videoFrames(o)).toBe(5) },
  { name: 'odd size', make: () => makeClip(join(dir, 'odd.mp4'), { width: 33, height: 17, seconds: 0.5, fps: 10 }), exit: 0, check: (o) => expect(Number(streams(o)[0].width)).toBe(33) },
  { name: 'path with spaces', make: () => (copyFileSync(good, join(dir, 'a b c.mp4')), join(dir, 'a b c.mp4')), exit: 0 },
  { name: 'non-ASCII path', make: () => (copyFileSync(good, join(dir, 'vidéo 日本.mp4')), join(dir, 'vidéo 日本.mp4')), exit: 0 },
  { name: "leading '-'", make: () => (copyFileSync(good, join(dir, '-dash.mp4')), '-dash.mp4'), exit: 0 },
  { name: 'unknown style', make: () => good, args: ['--style', 'udnee'], catalogue: true, exit: 2, message: /unknown style 'udnee': did you mean 'udnie'/ },
  { name: 'batch not a number', make: () => good, args: ['--batch', 'lots'], exit: 2, message: /--batch.*whole number/ },
  { name: 'concurrency zero', make: () => good, args: ['--concurrency', '0'], exit: 2, message: /--concurrency 0/ },
  { name: 'temporal out of range', make: () => good, args: ['--temporal', '1.5'], exit: 2, message: /between 0 and 1/ },
  { name: 'codec and container disagree', make: () => good, args: ['--codec', 'prores'], exit: 2, message: /prores cannot go in a .mp4/ },
  { name: '--crf with prores', make: () => good, args: ['--codec', 'prores'], output: 'out.mov', exit: 2, message: /--crf does not apply to prores/ },
  { name: 'range reversed', make: () => good, args: ['--frames', '4-2'], exit: 2, message: /reversed; write it as 2-4/ },
  { name: 'range past the end', make: () => good, args: ['--frames', '3-9'], exit: 2, message: /the video has 5 frames \(0-4\)/ },
  { name: 'range start past the end', make: () => good, args: ['--frames', '7-'], exit: 2, message: /the video has 5 frames/ },
  { name: 'range not a number', make: () => good, args: ['--frames', 'ten'], exit: 2, message: /give a frame \(42\), a range/ },
  { name: 'unknown option', make: () => good, args: ['--colour', 'red'], exit: 2, message: /unknown option/ },
  { name: 'unsupported output type', make: () => good, output: 'out.avi', exit: 2, message: /use an output ending in/ },
  { name: 'output is the input', make: () => good, output: 'good.mp4', exit: 2, message: /is the input/ },
  { name: 'output folder missing', make: () => good, output: 'no/such/folder/out.mp4', exit: 1, message: /folder .* does not exist/ },
  { name: 'existing output without -y', make: () => good, output: 'taken.mp4', exit: 2, message: /already exists: pass -y/ },
  // A picture as the style (#15): checked before anything is decoded or written.
  { name: 'style picture missing', make: () => good, args: ['--style', 'no/painting.jpg'], catalogue: true, exit: 2, message: /style image no\/painting.jpg does not exist/ },
  { name: 'style picture not an image', make: () => (writeFileSync(join(dir, 'fake.jpg'), 'not a picture at all'), good), args: ['--style', 'fake.jpg'], catalogue: true, exit: 2, message: /style image fake.jpg is not a picture/ },
  { name: 'style picture is a video', make: () => good, args: ['--style', './good.mp4'], catalogue: true, exit: 2, message: /style image .\/good.mp4 is not a picture/ },
  { name: 'style picture huge', make: () => (writeFileSync(join(dir, 'huge.png'), pngHeader(40000, 40000)), good), args: ['--style', 'huge.png'], catalogue: true, exit: 2, message: /40000x40000: give a picture of at most 100 megapixels/ },
  { name: 'style strength out of range', make: () => good, args: ['--style', 'no/painting.jpg', '--style-strength', '1.5'], catalogue: true, exit: 2, message: /--style-strength 1.5.*from 0/ },
  { name: 'style strength with a catalogue style', make: () => good, args: ['--style', 'wave', '--style-strength', '0.5'], catalogue: true, exit: 2, message: /--style-strength applies to a picture/ },
  {
    name: 'int8 with a picture style, on a still',
    make: () => (ffmpeg('-i', good, '-frames:v', '1', join(dir, 'frame.png')), ffmpeg('-i', good, '-frames:v', '1', join(dir, 'tiles.png')), 'frame.png'),
    args: ['--style', 'tiles.png', '--precision', 'int8'], catalogue: true, output: 'frame-out.png', exit: 2, message: /--precision int8 applies to catalogue styles/,
  },
  { name: 'backend not installed', make: () => good, args: ['--backend', 'tfjs-gpu'], exit: 1, message: /backend 'tfjs-gpu' is not available.*install/ },
];
// One case adds --crf itself.
CASES.find((c) => c.name === '--crf with prores')!.args = ['--codec', 'prores', '--crf', '20'];

beforeAll(() => {
  dir = tempDir('sv hostile ');
  model = writeTinyModel(join(dir, 'tiny'));
  good = makeClip(join(dir, 'good.mp4'), { width: 64, height: 48, seconds: 0.5, fps: 10 });
  writeFileSync(join(dir, 'taken.mp4'), 'an earlier result');
});

describe('hostile inputs and options', () => {
  it('has at least 25 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(25));

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const input = c.make();
    const inputPath = input.startsWith('/') ? input : join(dir, input);
    const before = hash(inputPath);
    const output = c.output === null ? undefined : join(dir, c.output ?? `out-${i}.mp4`);
    const takenBefore = hash(join(dir, 'taken.mp4'));
    const args = [BIN, ...(c.catalogue ? [] : ['--model', model]), ...(c.args ?? []), ...(output ? ['-o', output] : []), '--', input];
    const r = spawnSync('node', args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });

    expect(r.status, r.stderr).toBe(c.exit);
    if (c.message) expect(r.stderr).toMatch(c.message);
    if (c.exit !== 0) {
      // One line says what went wrong (progress and information lines may come before it).
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('stylize-video:'))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (output && c.output !== 'taken.mp4' && c.output !== 'good.mp4') expect(existsSync(output)).toBe(false);
    } else {
      expect(existsSync(output!)).toBe(true);
      c.check?.(output!);
    }
    expect(hash(inputPath)).toBe(before);
    expect(hash(join(dir, 'taken.mp4'))).toBe(takenBefore);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    const left = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  });
});
