// Valid inputs in the containers people have (what OBS, browsers, cameras and editors write), each
// made here with the ffmpeg the project uses, rendered by the command line with a tiny model, and
// checked against what the test made and what ffprobe decodes from the input: every frame, the
// size, the audio under the video and no longer. Rows the available encoders cannot make are
// skipped, with the reason in their name.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegBinaries } from 'stylize-video';
import { runCli } from './helpers/cli.js';
import { ffprobe, streams, tempDir } from './helpers/media.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const SIZE = { width: 64, height: 48 };

const picture = (fps = 24, seconds = 1) => ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE.width}x${SIZE.height}:rate=${fps}:duration=${seconds}`];
const tone = (seconds = 1, sampleRate = 48000) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${sampleRate}:duration=${seconds}`];
const h264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];

const encoders = new Set(
  execFileSync(ffmpegBinaries().ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line)?.[1])
    .filter((name): name is string => !!name),
);
const av1 = ['libaom-av1', 'libsvtav1'].find((name) => encoders.has(name));
const av1Arguments = av1 === 'libsvtav1' ? ['-c:v', 'libsvtav1', '-preset', '12'] : ['-c:v', 'libaom-av1', '-strict', 'experimental', '-cpu-used', '8', '-b:v', '0', '-crf', '40'];

interface Row {
  name: string;
  /** the input's file name: its extension is the container */
  file: string;
  /** ffmpeg's arguments that make it, before the output path */
  make: string[];
  /** encoders those need */
  needs: string[];
  /** frames made, and how long they last */
  frames: number;
  seconds: number;
  /** how long the audio made lasts; none if undefined */
  audioSeconds?: number;
  /** the audio stream's sample rate in the output: which of several streams was taken */
  sampleRate?: number;
  /** the output's extension */
  output?: string;
}

const ROWS: Row[] = [
  { name: 'MKV, H.264 + AAC (what OBS records)', file: 'h264-aac.mkv', make: [...picture(), ...tone(), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 1 },
  {
    name: 'MKV, two audio tracks: the first taken, as ffmpeg takes it',
    file: 'two-tracks.mkv',
    make: [...picture(), ...tone(1, 48000), ...tone(1, 44100), '-map', '0:v', '-map', '1:a', '-map', '2:a', ...h264, '-c:a', 'aac'],
    needs: ['libx264', 'aac'],
    frames: 24, seconds: 1, audioSeconds: 1, sampleRate: 48000,
  },
  { name: 'MKV, no audio', file: 'silent.mkv', make: [...picture(), ...h264], needs: ['libx264'], frames: 24, seconds: 1 },
  { name: 'WebM, VP9 + Opus (what browsers record)', file: 'vp9-opus.webm', make: [...picture(), ...tone(), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-c:a', 'libopus'], needs: ['libvpx-vp9', 'libopus'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'WebM, AV1 + Opus', file: 'av1-opus.webm', make: [...picture(), ...tone(), ...av1Arguments, '-c:a', 'libopus'], needs: [av1 ?? 'an AV1 encoder (libaom-av1 or libsvtav1)', 'libopus'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'AVI, MPEG-4 Part 2 + MP3', file: 'mpeg4-mp3.avi', make: [...picture(), ...tone(), '-c:v', 'mpeg4', '-c:a', 'libmp3lame'], needs: ['mpeg4', 'libmp3lame'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'MOV, HEVC + AAC (what phones record)', file: 'hevc.mov', make: [...picture(), ...tone(), '-c:v', 'libx265', '-tag:v', 'hvc1', '-x265-params', 'log-level=error', '-c:a', 'aac'], needs: ['libx265', 'aac'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'MOV, ProRes 422 10-bit + PCM', file: 'prores.mov', make: [...picture(), ...tone(), '-c:v', 'prores_ks', '-profile:v', '2', '-pix_fmt', 'yuv422p10le', '-c:a', 'pcm_s16le'], needs: ['prores_ks', 'pcm_s16le'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'MPEG-TS, H.264 + AAC', file: 'broadcast.ts', make: [...picture(), ...tone(), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'M4V, H.264 + AAC', file: 'movie.m4v', make: [...picture(), ...tone(), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 1 },
  {
    name: 'MKV, variable frame rate (frames 10-29 of 48 dropped, their time kept)',
    file: 'vfr.mkv',
    make: [...picture(24, 2), ...tone(2), '-vf', "select='not(between(n,10,29))'", '-vsync', 'vfr', ...h264, '-c:a', 'aac'],
    needs: ['libx264', 'aac'],
    frames: 28, seconds: 2, audioSeconds: 2,
  },
  { name: 'MKV, audio (2 s) longer than the video (1 s)', file: 'long-audio.mkv', make: [...picture(), ...tone(2), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 2 },
  { name: 'MKV, video (1 s) longer than the audio (0.5 s)', file: 'short-audio.mkv', make: [...picture(), ...tone(0.5), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 0.5 },
  { name: 'MKV, timestamps starting at 10 s', file: 'offset.mkv', make: [...picture(), ...tone(), ...h264, '-c:a', 'aac', '-output_ts_offset', '10'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 1 },
  { name: 'MKV, 60 fps', file: 'sixty.mkv', make: [...picture(60), ...tone(), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 60, seconds: 1, audioSeconds: 1 },
  { name: 'animated GIF', file: 'loop.gif', make: [...picture(10)], needs: ['gif'], frames: 10, seconds: 1 },
  { name: 'MKV in, MKV out', file: 'to-mkv.mkv', make: [...picture(), ...tone(), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac'], frames: 24, seconds: 1, audioSeconds: 1, output: '.mkv' },
  { name: 'MKV in, WebM out', file: 'to-webm.mkv', make: [...picture(), ...tone(), ...h264, '-c:a', 'aac'], needs: ['libx264', 'aac', 'libvpx-vp9', 'libopus'], frames: 24, seconds: 1, audioSeconds: 1, output: '.webm' },
  { name: 'WebM in, MKV out', file: 'from-webm.webm', make: [...picture(), ...tone(), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-c:a', 'libopus'], needs: ['libvpx-vp9', 'libopus'], frames: 24, seconds: 1, audioSeconds: 1, output: '.mkv' },
];

let dir: string;
let model: string;

const make = (row: Row) => {
  const path = join(dir, row.file);
  execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', ...row.make, path]);
  return path;
};
const videoOf = (path: string) => streams(path).find((s) => s.codec_type === 'video')!;
const rate = (text: string) => text.split('/').map(Number).reduce((n, d) => n / d);
/** From the first audio packet's timestamp to the end of the last, as ffprobe reads them. */
function audioSeconds(path: string): number | undefined {
  const lines = ffprobe(['-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', path]).trim().split('\n').filter(Boolean);
  if (!lines.length) return undefined;
  const packets = lines.map((l) => l.split(',').map(Number));
  const first = Math.min(...packets.map(([t]) => t));
  const end = Math.max(...packets.map(([t, d]) => t + (d || 0)));
  return end - first;
}
const sampleRateOf = (path: string) => Number(ffprobe(['-select_streams', 'a:0', '-show_entries', 'stream=sample_rate', '-of', 'csv=p=0', path]).trim());

beforeAll(() => {
  dir = tempDir('sv-valid-');
  model = writeTinyModel(join(dir, 'tiny'));
});

describe('valid inputs render whole, at their size, with their audio', () => {
  it('has at least 15 rows', () => expect(ROWS.length).toBeGreaterThanOrEqual(15));

  for (const row of ROWS) {
    const missing = row.needs.filter((name) => !encoders.has(name));
    const title = missing.length ? `${row.name} (skipped: ${ffmpegBinaries().ffmpeg} cannot encode with ${missing.join(', ')})` : row.name;
    it.skipIf(missing.length > 0)(title, () => {
      const input = make(row);
      const inVideo = videoOf(input);
      const inFrames = Number(inVideo.nb_read_frames);
      expect(inFrames, 'the input is what this row made').toBe(row.frames);

      const output = join(dir, `${row.file}.out${row.output ?? '.mp4'}`);
      const r = runCli([input, '--model', model, '-q', '-o', output]);
      expect(r.status, r.stderr).toBe(0);

      const outVideo = videoOf(output);
      const outFrames = Number(outVideo.nb_read_frames);
      const outAudio = audioSeconds(output);
      console.log(`${row.name}: ${inFrames} frames in, ${outFrames} out; audio ${outAudio === undefined ? 'no' : `yes, ${outAudio.toFixed(3)} s`}`);
      expect(outFrames).toBe(inFrames);
      expect([Number(outVideo.width), Number(outVideo.height)]).toEqual([SIZE.width, SIZE.height]);
      // At its constant rate the output lasts as long as the input's video (a variable rate is averaged).
      expect(Math.abs(outFrames / rate(outVideo.r_frame_rate) - row.seconds)).toBeLessThan(1.5 / (row.frames / row.seconds));
      if (row.audioSeconds === undefined) {
        expect(outAudio).toBeUndefined();
      } else {
        // The audio under the video, and no longer.
        expect(outAudio).toBeDefined();
        expect(Math.abs(outAudio! - Math.min(row.audioSeconds, row.seconds))).toBeLessThan(0.1);
      }
      if (row.sampleRate) expect(sampleRateOf(output)).toBe(row.sampleRate);
    });
  }
});

describe('ranges, parts, shards and plan count the video, not the longer audio', () => {
  // 24 frames (1 s) under 2 s of audio, in Matroska, which gives no count of its own.
  let input: string;
  beforeAll(() => {
    input = make(ROWS.find((r) => r.file === 'long-audio.mkv')!);
  });
  const outputFrames = (path: string) => Number(videoOf(path).nb_read_frames);

  it('a range past the end is a usage error that names the true length', () => {
    const r = runCli([input, '--model', model, '--frames', '10-24', '-o', join(dir, 'past-end.mp4')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the video has 24 frames \(0-23\)/);
  });

  it('plan covers the 24 frames', () => {
    const r = runCli(['plan', input, '--shards', '2', '--part-frames', '6']);
    expect(r.status, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.frames).toMatchObject({ start: 0, end: 23, count: 24 });
    expect(plan.parts).toBe(4);
  });

  it('--start to the end renders the frames from there', () => {
    const output = join(dir, 'from-half.mp4');
    const r = runCli([input, '--model', model, '-q', '--start', '0.5', '-o', output]);
    expect(r.status, r.stderr).toBe(0);
    expect(outputFrames(output)).toBe(12);
  });

  it('two shards (the second warmed up on the 12 frames before it) join into the 24 frames with audio', () => {
    const output = join(dir, 'sharded.mkv');
    const shard = (i: number) => runCli([input, '--model', model, '--json', '--part-frames', '6', '--shard', `${i}/2`, '-o', output]);
    const second = shard(1);
    expect(second.status, second.stderr).toBe(0);
    const start = JSON.parse(second.stdout.split('\n')[0]);
    expect(start).toMatchObject({ type: 'start', warmupFrames: 12, totalFrames: 24, parts: { total: 2 } });
    expect(shard(0).status).toBe(0);
    const joined = runCli(['join', output]);
    expect(joined.status, joined.stderr).toBe(0);
    expect(outputFrames(output)).toBe(24);
    expect(Math.abs(audioSeconds(output)! - 1)).toBeLessThan(0.1);
  });
});

describe('shards and join take the audio a single render takes, from where the video starts', () => {
  // The second audio track is marked default (ffmpeg's pick, so ours) and starts 0.5 s before the
  // video; it is silent for those 0.5 s. Only plan.json tells join which track and where to cut.
  it.skipIf(!encoders.has('libx264') || !encoders.has('aac'))('plan.json carries the audio stream and the video start to join', () => {
    const input = join(dir, 'late-video.mkv');
    execFileSync(ffmpegBinaries().ffmpeg, [
      '-v', 'error', '-y', '-itsoffset', '0.5', ...picture(), ...tone(1.5, 48000),
      '-f', 'lavfi', '-i', "aevalsrc='if(lt(t,0.5),0,sin(2*PI*440*t))':s=44100:d=1.5",
      '-map', '0:v', '-map', '1:a', '-map', '2:a', ...h264, '-c:a', 'aac', '-disposition:a:0', '0', '-disposition:a:1', 'default', input,
    ]);
    const output = join(dir, 'late-video.out.mp4');
    for (const i of [0, 1]) {
      const r = runCli([input, '--model', model, '-q', '--part-frames', '12', '--shard', `${i}/2`, '-o', output]);
      expect(r.status, r.stderr).toBe(0);
    }
    const plan = JSON.parse(readFileSync(`${output}.parts/plan.json`, 'utf8'));
    expect(plan.input.audioStream).toBe(2);
    expect(plan.input.videoStartSeconds).toBeGreaterThan(0.45);
    expect(plan.input.videoStartSeconds).toBeLessThan(0.6);
    const joined = runCli(['join', output]);
    expect(joined.status, joined.stderr).toBe(0);
    expect(sampleRateOf(output)).toBe(44100);
    expect(Math.abs(audioSeconds(output)! - 1)).toBeLessThan(0.1);
    // Cut from where the video starts, the audio is the tone from its first moment, not the silence before.
    const loudness = spawnSync(ffmpegBinaries().ffmpeg, ['-v', 'info', '-i', output, '-map', '0:a', '-t', '0.3', '-af', 'volumedetect', '-f', 'null', '-'], { encoding: 'utf8' });
    const peak = Number(/max_volume: (-?[\d.]+) dB/.exec(loudness.stderr)?.[1]);
    expect(peak).toBeGreaterThan(-20);
  });
});
