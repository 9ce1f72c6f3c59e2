import { ffmpegCommand, ffmpegReason, track } from '../ffmpeg.js';
import { UserError } from '../errors.js';
import { rgbBytes, type RgbFrame } from '../frame.js';
import { rationalText, type VideoInfo } from './probe.js';

export interface DecodeOptions {
  /** first frame to decode, 0-based */
  startFrame?: number;
  /** how many frames; undefined for all that follow */
  frameCount?: number;
  /** instead of a range, exactly these frames (ascending) */
  frameList?: number[];
  /** scale to this size (upright, square pixels) instead of the video's own */
  size?: { width: number; height: number };
}

/** The ffmpeg arguments that turn the input into square-pixel, upright, constant-rate RGB frames. */
export function decodeArguments(info: VideoInfo, options: DecodeOptions = {}): { input: string[]; output: string[] } {
  const filters: string[] = [];
  const start = options.startFrame ?? 0;
  // Variable-rate input is resampled to its average rate before frames are counted and chosen, so
  // frame numbers are those of the constant-rate video: the fps filter starts at the first frame.
  if (info.variableFrameRate) filters.push(`fps=fps=${rationalText(info.fps)}`);
  // Selection next, so frames outside the range are dropped before any scaling or conversion.
  if (options.frameList) {
    filters.push(`select=${options.frameList.map((n) => `eq(n\\,${n})`).join('+')}`);
  } else if (start > 0 || options.frameCount !== undefined) {
    const end = options.frameCount === undefined ? '' : `*lt(n\\,${start + options.frameCount})`;
    filters.push(`select=gte(n\\,${start})${end}`);
  }
  // ffmpeg rotates by itself (autorotate), after these filters; only the aspect ratio and size need one.
  if (info.sampleAspectRatio.num !== info.sampleAspectRatio.den || options.size) {
    const { width, height } = options.size ?? info;
    const [w, h] = info.rotation % 180 === 0 ? [width, height] : [height, width];
    filters.push(`scale=${w}:${h}`, 'setsar=1');
  }
  // The stream the probe counted, whatever ffmpeg would pick by itself (cover art, a second angle).
  const output = ['-map', `0:${info.videoStream}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24'];
  if (filters.length) output.push('-vf', filters.join(','));
  // Passthrough keeps every frame out of the filters exactly once.
  output.push('-vsync', 'passthrough');
  // Resampling to a constant rate can add a frame at the end; the count keeps the duration.
  const count = options.frameList?.length ?? options.frameCount ?? (info.variableFrameRate ? info.frameCount - start : undefined);
  if (count !== undefined) output.push('-frames:v', String(count));
  return { input: ['-nostdin', '-v', 'error'], output };
}

/**
 * Streams the video's frames from ffmpeg's stdout. Memory stays at a frame or two whatever the
 * video's length: when the consumer stops pulling, the pipe fills and ffmpeg waits.
 */
export async function* decodeFrames(info: VideoInfo, options: DecodeOptions = {}): AsyncGenerator<RgbFrame> {
  const { input, output } = decodeArguments(info, options);
  const { width, height } = options.size ?? info;
  const frameBytes = rgbBytes(width, height);
  const start = options.startFrame ?? 0;
  const list = options.frameList;
  const expectedCount = list?.length ?? options.frameCount;
  const wanted = expectedCount ?? info.frameCount - start;
  const command = track(ffmpegCommand(info.path).inputOptions(input).outputOptions(output));
  let failure: string | undefined;
  // Set before we kill ffmpeg ourselves; any other death (OOM killer, a signal) is a failure.
  let stopping = false;
  const finished = new Promise<void>((resolve) => {
    command.once('end', () => resolve());
    command.once('error', (err: Error, _stdout: string, stderr: string) => {
      if (!stopping) failure = ffmpegReason(stderr) || err.message;
      resolve();
    });
  });
  const stream = command.pipe();
  let completed = false;
  try {
    let index = start;
    let frame = new Uint8Array(frameBytes);
    let filled = 0;
    let last: Uint8Array | undefined;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          yield { index: list ? list[index++ - start] : index++, width, height, data: frame };
          last = frame;
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    await finished;
    // Resampled to a constant rate, the last slot or two may stay empty: they show the last frame, as the input does until its end.
    if (info.variableFrameRate && !failure && last) {
      const frameAt = (i: number) => (list ? list[i - start] : i);
      while (index - start < wanted && frameAt(index) >= info.frameCount - 2) {
        yield { index: frameAt(index++), width, height, data: last.slice() };
      }
    }
    const decoded = index - start;
    // fluent-ffmpeg reports a stdout that closed more than 20 ms before ffmpeg's exit (a loaded
    // machine) as this error; with every frame read, nothing failed.
    if (failure === 'Output stream closed' && decoded >= (expectedCount ?? wanted)) failure = undefined;
    if (decoded === 0) {
      const why = failure ? ` (${failure})` : '';
      throw new UserError(`${info.path} has a video stream but no frame could be decoded${why}: the file may be truncated, encrypted or only an initialisation segment`);
    }
    if (failure) throw new UserError(`cannot decode ${info.path}: ${failure}`);
    // ffmpeg skips over damaged data and exits 0; a short count is how truncation shows.
    if (expectedCount !== undefined && decoded < expectedCount) {
      const why = failure ? ` (${failure})` : '';
      throw new UserError(`${info.path} ends after frame ${index - 1}: fewer frames than the ${expectedCount} asked for from frame ${start}${why}; the file may be truncated, encrypted or damaged`);
    }
    if (expectedCount === undefined && decoded < wanted - Math.max(2, Math.ceil(wanted * 0.02))) {
      throw new UserError(`${info.path} looks truncated or corrupt: only ${decoded} of its ${wanted} frames could be decoded`);
    }
    completed = true;
  } finally {
    if (!completed) {
      stopping = true;
      command.kill('SIGKILL');
    }
  }
}
