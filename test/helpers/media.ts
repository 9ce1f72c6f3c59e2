import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFrames, ffmpegBinaries, probeVideo, type RgbFrame } from 'stylize-video';

export const sharedModels = (() => {
  const dir = process.env.STYLIZE_VIDEO_MODELS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'models');
  return existsSync(join(dir, 'wave', 'manifest.json')) ? dir : undefined;
})();

export const tempDir = (prefix = 'sv-test-') => mkdtempSync(join(tmpdir(), prefix));

/** A moving test pattern with a tone, made by ffmpeg's lavfi sources. */
export function makeClip(path: string, { width, height, seconds, fps = 24, audio = true }: { width: number; height: number; seconds: number; fps?: number; audio?: boolean }): string {
  // testsrc2 rounds sizes up to even; the crop gives exactly the size asked for.
  const source = `testsrc2=size=${width + (width % 2)}x${height + (height % 2)}:rate=${fps}:duration=${seconds},format=yuv444p,crop=${width}:${height}:0:0`;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', source];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:a', 'aac', '-b:a', '96k');
  const even = width % 2 === 0 && height % 2 === 0;
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '12', '-pix_fmt', even ? 'yuv420p' : 'yuv444p', path);
  execFileSync(ffmpegBinaries().ffmpeg, args);
  return path;
}

export async function readAllFrames(path: string): Promise<RgbFrame[]> {
  const frames: RgbFrame[] = [];
  for await (const f of decodeFrames(await probeVideo(path))) frames.push(f);
  return frames;
}

/** ffprobe as the project runs it (the npm build needs its environment to read MPEG-TS). */
export const ffprobe = (args: string[]) => execFileSync(ffmpegBinaries().ffprobe, ['-v', 'error', ...args], { encoding: 'utf8', env: ffmpegBinaries().ffprobeEnv });

export function streams(path: string): Array<Record<string, string>> {
  return JSON.parse(ffprobe(['-count_frames', '-show_entries', 'stream=codec_type,width,height,r_frame_rate,nb_read_frames,duration', '-of', 'json', path])).streams;
}

export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
