// How many frames a video has, at what rate and for how long, from the video stream itself: its
// packets counted and their timestamps, checked against what the container lists where it lists
// every frame. The file's own duration is not used: it is the longest stream's, often the audio's.
import { UserError } from '../errors.js';
import { approximateRational, parseRational, rationalValue, type Rational } from './rational.js';
import { readVideoPackets } from './video-packets.js';

/** What ffprobe says of the video stream and its file. */
export interface StreamFacts {
  index: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  /** the file's */
  format_name?: string;
  formatStartSeconds: number;
}

export interface VideoTiming {
  fps: Rational;
  variableFrameRate: boolean;
  frameCount: number;
  durationSeconds: number;
  startSeconds: number;
}

/** Frames a count may fall short of a container's list before the file counts as damaged. */
const tolerance = (listed: number) => Math.max(2, Math.ceil(listed * 0.02));

export async function videoTiming(path: string, stream: StreamFacts): Promise<VideoTiming> {
  // The base rate (the one all timestamps fit) and the container's average, where it gives them.
  const baseRate = parseRational(stream.r_frame_rate);
  const statedRate = baseRate ?? parseRational(stream.avg_frame_rate);
  const packets = await readVideoPackets(path, stream.index, statedRate ? 1 / rationalValue(statedRate) : 0);
  const truncated = (why: string) =>
    new UserError(`${path} is truncated (${why}): its video stops after ${packets.count} frames; to render what is there, copy it into a new file first (ffmpeg -i <file> -c copy repaired.mkv)`);
  if (packets.truncation) throw truncated(packets.truncation);
  if (packets.count === 0) throw new UserError(`cannot read a single frame of ${path}: the file may be truncated, encrypted or only an initialisation segment`);

  // MP4 and MOV index every sample: fewer packets than listed means the data stops early. The list
  // includes samples an edit list hides, which the stream's duration leaves out, hence the smaller.
  if (/mp4|mov/.test(stream.format_name ?? '') && statedRate) {
    const claims = [Number(stream.nb_frames), Number(stream.duration) * rationalValue(parseRational(stream.avg_frame_rate) ?? statedRate)];
    const listed = Math.round(Math.min(...claims.filter((n) => Number.isFinite(n) && n > 0)));
    if (Number.isFinite(listed) && packets.count < listed - tolerance(listed)) throw truncated(`its index lists ${listed} frames`);
  }

  const count = packets.count;
  const span = packets.spanSeconds;
  const startSeconds = Math.max(0, (packets.firstSeconds ?? stream.formatStartSeconds) - stream.formatStartSeconds);
  // Constant rate when the base rate explains the timestamps: the span holds as many frames as
  // there are, give or take one (AVI, for one, may leave a slot empty) or a percent.
  const constant = !!baseRate && (span === undefined || count === 1 || Math.abs(span * rationalValue(baseRate) - count) <= Math.max(1, 0.01 * count) + 1e-3);
  if (constant || span === undefined || !(span > 0)) {
    const fps = statedRate;
    if (!fps) throw new UserError(`${path}: the video stream has no frame rate; the file may be truncated or corrupt`);
    return { fps, variableFrameRate: false, frameCount: count, durationSeconds: span ?? count / rationalValue(fps), startSeconds };
  }
  // Variable rate: decoding resamples to the average rate, which over the span gives as many frames as there are.
  return { fps: approximateRational(count / span), variableFrameRate: true, frameCount: count, durationSeconds: span, startSeconds };
}
