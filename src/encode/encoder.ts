import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { extname } from 'node:path';
import { ffmpegCommand, ffmpegReason, track } from '../ffmpeg.js';
import { UserError, UsageError } from '../errors.js';
import { rgbBytes, type RgbFrame } from '../frame.js';
import { rationalText, type Rational } from '../decode/probe.js';
import { codecArguments, type VideoCodec } from './codecs.js';

export interface EncoderOptions {
  /** where ffmpeg writes; the caller renames it into place once finish() resolves */
  path: string;
  /** container, from the final output's extension (the temporary path may not have one) */
  container: string;
  width: number;
  height: number;
  fps: Rational;
  codec: VideoCodec;
  crf?: number;
  preset?: string;
  /** a file whose first audio stream and global metadata are copied into the output */
  audioFrom?: AudioSource;
  /** a part that join reads back, not a file to play: no second pass to move the MP4 index up front */
  intermediate?: boolean;
  /** what this encoder writes, for messages: "the encoder of part 3 (frames 24-31)" */
  label?: string;
}

export interface AudioSource {
  path: string;
  /** the stream to take, by index in the file; the first audio stream if undefined */
  stream?: number;
  codec?: string;
  /** the audio under a range of frames, and no more */
  startSeconds?: number;
  durationSeconds?: number;
}

/** What a render needs to know of the input's audio to put it under a range of the video's frames. */
export interface InputAudio {
  path: string;
  stream?: number;
  codec?: string;
  /** when the video's first frame is shown, from the start of the file */
  videoStartSeconds?: number;
}

/** The input's audio under `count` frames from frame `first`, at `fps`. */
export function audioUnderFrames(input: InputAudio, fps: number, first: number, count: number): AudioSource {
  return {
    path: input.path,
    stream: input.stream,
    codec: input.codec,
    startSeconds: (input.videoStartSeconds ?? 0) + first / fps,
    durationSeconds: count / fps,
  };
}

export interface Encoder {
  /** Resolves when ffmpeg has taken the frame (backpressure). */
  write(frame: RgbFrame): Promise<void>;
  /** Closes the input and waits for ffmpeg to finish the file. */
  finish(): Promise<void>;
  /** Stops ffmpeg at once; the partial file is the caller's to remove. */
  abort(): void;
}

const AUDIO_COPY_OK: Record<string, string[]> = {
  // Not Opus: ffmpeg 4 refuses it in MP4 as experimental, and QuickTime cannot play it.
  mp4: ['aac', 'mp3', 'alac', 'ac3', 'eac3'],
  mov: ['aac', 'mp3', 'alac', 'ac3', 'pcm_s16le', 'pcm_s24le'],
  mkv: [],
  webm: ['opus', 'vorbis'],
};

function audioArguments(container: string, codec: string | undefined): string[] {
  const allowed = AUDIO_COPY_OK[container];
  if (allowed && (allowed.length === 0 || (codec && allowed.includes(codec)))) return ['-c:a', 'copy'];
  return container === 'webm' ? ['-c:a', 'libopus', '-b:a', '160k'] : ['-c:a', 'aac', '-b:a', '192k'];
}

/** Input options that trim the audio source to its range. */
export function audioInputOptions(audio: AudioSource): string[] {
  const seek = audio.startSeconds ? ['-ss', audio.startSeconds.toFixed(6)] : [];
  const length = audio.durationSeconds !== undefined ? ['-t', audio.durationSeconds.toFixed(6)] : [];
  return [...seek, ...length];
}

/** Output options taking the audio stream (if there is one) and the metadata of input `inputIndex`. */
export function audioOutputOptions(container: string, audio: AudioSource, inputIndex: number): string[] {
  const stream = audio.stream === undefined ? 'a:0' : String(audio.stream);
  return ['-map', `${inputIndex}:${stream}?`, '-map_metadata', String(inputIndex), ...audioArguments(container, audio.codec)];
}

/** The muxer, with the index up front in MP4/MOV so players can start before the download ends. */
export function containerOptions(container: string, { faststart = true } = {}): string[] {
  const index = faststart && (container === 'mp4' || container === 'mov') ? ['-movflags', '+faststart'] : [];
  return [...index, '-f', container === 'mkv' ? 'matroska' : container];
}

export function containerOf(path: string): string {
  const ext = extname(path).slice(1).toLowerCase();
  if (ext === 'mp4' || ext === 'm4v') return 'mp4';
  if (ext === 'mov' || ext === 'mkv' || ext === 'webm') return ext;
  throw new UsageError(`cannot write video to '${path}': use an output ending in .mp4, .m4v, .mov, .mkv or .webm`);
}

export function startEncoder(options: EncoderOptions): Encoder {
  const { width, height, container } = options;
  const frames = new PassThrough({ highWaterMark: 2 * rgbBytes(width, height) });
  const command = track(ffmpegCommand());
  command
    .input(frames)
    .inputFormat('rawvideo')
    .inputOptions(['-v', 'error', '-pix_fmt', 'rgb24', '-video_size', `${width}x${height}`, '-framerate', rationalText(options.fps)]);
  const output = ['-map', '0:v:0', ...codecArguments(options.codec, container, width, height, options.crf, options.preset)];
  const audio = options.audioFrom;
  if (audio) {
    command.input(audio.path).inputOptions(audioInputOptions(audio));
    output.push(...audioOutputOptions(container, audio, 1));
    // No -shortest: with video arriving slowly over a pipe and audio read at once from a file,
    // ffmpeg ends the output when the audio input is exhausted. The audio is already trimmed above.
  }
  output.push(...containerOptions(container, { faststart: !options.intermediate }));
  command.outputOptions(output).output(options.path);

  let failure: Error | undefined;
  let aborted = false;
  let pid: number | undefined;
  command.once('start', () => void (pid = (command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid));
  const done = new Promise<void>((resolve, reject) => {
    command.once('end', () => resolve());
    command.once('error', (err: Error, _stdout: string, stderr: string) => {
      // A child killed from outside (the OOM killer, an operator) prints nothing: name it and the signal.
      const signal = /killed with signal (\w+)/.exec(err.message)?.[1];
      const what = `${options.label ?? 'the encoder'} (ffmpeg${pid ? `, pid ${pid}` : ''})`;
      failure = aborted
        ? new Error('encoding stopped')
        : signal
          ? new UserError(`${what} was killed by ${signal}${signal === 'SIGKILL' ? ' (the out-of-memory killer does this)' : ''}`)
          : new UserError(`encoding failed: ${ffmpegReason(stderr) || err.message}`);
      reject(failure);
    });
  });
  done.catch(() => undefined);
  // ffmpeg closing its stdin early (on error) surfaces as EPIPE here; `done` reports the reason.
  frames.on('error', () => undefined);
  command.run();

  return {
    async write(frame) {
      if (failure) throw failure;
      if (!frames.write(frame.data)) {
        await Promise.race([once(frames, 'drain'), done]);
      }
    },
    async finish() {
      frames.end();
      await done;
    },
    abort() {
      aborted = true;
      frames.destroy();
      // fluent-ffmpeg starts ffmpeg a moment after run(), and kill() before then does nothing: ffmpeg
      // would start after all and wait for frames forever.
      if (pid === undefined) command.once('start', () => command.kill('SIGKILL'));
      else command.kill('SIGKILL');
    },
  };
}

