import { stat } from 'node:fs/promises';
import { runFfprobe } from '../ffmpeg.js';
import { UserError } from '../errors.js';
import { hasCommonEncryption } from './encryption.js';
import { parseRational, type Rational } from './rational.js';
import { videoTiming } from './video-timing.js';

export { parseRational, rationalText, rationalValue, type Rational } from './rational.js';
export { countVideoPackets } from './video-packets.js';

export interface VideoInfo {
  path: string;
  /** file size, as the probe saw it */
  bytes: number;
  /** Size of the frames we decode: after rotation, in square pixels. */
  width: number;
  height: number;
  /** Size as stored in the stream, before rotation and aspect correction. */
  codedWidth: number;
  codedHeight: number;
  /** Output frame rate. For variable-frame-rate input this is the average rate, and decoding resamples to it. */
  fps: Rational;
  variableFrameRate: boolean;
  /** Frames a decode delivers: the video stream's packets, counted (at the average rate, for variable-rate input). */
  frameCount: number;
  /** the video stream's own duration, from its first timestamp to the end of its last frame */
  durationSeconds: number;
  /** when the first frame is shown, in seconds from the start of the file (other streams may start earlier) */
  startSeconds: number;
  rotation: number;
  sampleAspectRatio: Rational;
  codec: string;
  pixelFormat: string;
  /** index of the video stream among the file's streams */
  videoStream: number;
  hasAudio: boolean;
  /** index of the audio stream that goes into the output, chosen as ffmpeg chooses by default */
  audioStream?: number;
  audioCodec?: string;
}

interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_aspect_ratio?: string;
  duration?: string;
  nb_frames?: string;
  channels?: number;
  disposition?: { attached_pic?: number; default?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number | string }>;
}
interface ProbeData {
  streams: ProbeStream[];
  format: { duration?: string; start_time?: string; format_name?: string };
}

// ffprobe's JSON directly: fluent-ffmpeg's parser of the default output drops side data, which is
// where current files keep their rotation.
async function ffprobe(path: string): Promise<ProbeData> {
  // -i keeps a path that starts with '-' from being read as an option.
  const { stdout } = await runFfprobe(['-v', 'error', '-of', 'json', '-show_streams', '-show_format', '-i', path], { timeout: 60_000 });
  try {
    return JSON.parse(stdout) as ProbeData;
  } catch {
    throw new Error('ffprobe printed no readable description');
  }
}

function rotationOf(stream: ProbeStream): number {
  const tag = Number(stream.tags?.rotate);
  if (Number.isFinite(tag) && tag !== 0) return ((tag % 360) + 360) % 360;
  const sideData = stream.side_data_list ?? [];
  for (const entry of sideData) {
    const r = Number(entry.rotation);
    // Display-matrix rotation is counter-clockwise; the rotate tag is clockwise.
    if (Number.isFinite(r) && r !== 0) return ((-r % 360) + 360) % 360;
  }
  return 0;
}

const MAX_PIXELS = 8192 * 8192;

export async function probeVideo(path: string): Promise<VideoInfo> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UserError(`input not found: ${path}`);
  if (!st.isFile()) throw new UserError(`input is not a file: ${path}`);
  if (st.size === 0) throw new UserError(`input is empty (0 bytes): ${path}`);

  let data: ProbeData;
  try {
    data = await ffprobe(path);
  } catch (err) {
    const reason = (err as Error).message.replace(/^.*?: /, '');
    throw new UserError(`cannot read ${path} as media (${reason}): is it a video file?`);
  }
  if (/mp4|mov/.test(data.format.format_name ?? '') && (await hasCommonEncryption(path).catch(() => false))) {
    throw new UserError(`${path} is encrypted (Common Encryption, DRM): its frames cannot be decoded; give an unencrypted copy`);
  }
  const video = data.streams.find((s) => s.codec_type === 'video' && !(s.disposition?.attached_pic));
  if (!video) throw new UserError(`${path} has no video stream: give a video file (audio-only and cover-art files cannot be stylized)`);
  const audio = defaultAudioStream(data.streams);

  const codedWidth = Number(video.width);
  const codedHeight = Number(video.height);
  if (!(codedWidth > 0 && codedHeight > 0)) throw new UserError(`${path}: the video stream has no frame size; the file may be truncated or corrupt`);
  if (codedWidth * codedHeight > MAX_PIXELS) {
    throw new UserError(`${path}: frames of ${codedWidth}x${codedHeight} are larger than the ${MAX_PIXELS / 1e6} megapixel limit; scale the video down first`);
  }

  const rotation = rotationOf(video);
  const sar = parseRational(video.sample_aspect_ratio) ?? { num: 1, den: 1 };
  // Square pixels: the stored width times the sample aspect ratio, to the nearest even number: a
  // scaled 854x480 clip carries a ratio like 1281:1280, and 640.5 must give 640, not an odd width
  // that 4:2:0 encoders refuse.
  const squareWidth = sar.num === sar.den ? codedWidth : Math.max(2, 2 * Math.round((codedWidth * sar.num) / sar.den / 2));
  const [width, height] = rotation === 90 || rotation === 270 ? [codedHeight, squareWidth] : [squareWidth, codedHeight];

  const formatStartSeconds = Number(data.format.start_time) || 0;
  const timing = await videoTiming(path, { ...video, format_name: data.format.format_name, formatStartSeconds });

  return {
    path,
    bytes: st.size,
    width,
    height,
    codedWidth,
    codedHeight,
    ...timing,
    rotation,
    sampleAspectRatio: sar,
    codec: String(video.codec_name),
    pixelFormat: String(video.pix_fmt),
    videoStream: video.index,
    hasAudio: !!audio,
    audioStream: audio?.index,
    audioCodec: audio ? String(audio.codec_name) : undefined,
  };
}

/**
 * The audio stream ffmpeg picks when not told: one marked default before others, then the one with
 * the most channels, then the first (ffmpeg's map_auto_audio).
 */
function defaultAudioStream(streams: ProbeStream[]): ProbeStream | undefined {
  const score = (s: ProbeStream) => (s.disposition?.default ? 1e6 : 0) + (s.channels ?? 0);
  let best: ProbeStream | undefined;
  for (const s of streams) if (s.codec_type === 'audio' && (!best || score(s) > score(best))) best = s;
  return best;
}


