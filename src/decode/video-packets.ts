// A video stream's own length: its packets counted and their timestamps read, without decoding.
// Matroska, WebM and MPEG-TS give no frame count per stream, and the file's duration is that of
// its longest stream, often the audio's; AVI's count includes empty "drop" entries, and an MP4
// cut by stream copy lists samples its edit list hides. The packets the demuxer hands out are the
// frames a decode gets, one each.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ffmpegBinaries, runFfprobe } from '../ffmpeg.js';
import { UserError } from '../errors.js';

export interface VideoPackets {
  count: number;
  /** the first packet's timestamp, in seconds; undefined when the packets carry none */
  firstSeconds?: number;
  /** from the first packet's timestamp to the end of the last packet */
  spanSeconds?: number;
  /** what the demuxer said when the file stopped in the middle of its data */
  truncation?: string;
}

// What demuxers print when the data ends before the container said it would (MP4, Matroska), or
// when a packet of the stream is cut short (AVI, MPEG-TS; these have no index to say so).
const truncation = (streamIndex: number) => new RegExp(`partial file|ended prematurely|truncated|Packet corrupt \\(stream = ${streamIndex},`, 'i');

const seconds = (text: string | undefined) => (text === undefined || text === 'N/A' || text === '' ? undefined : Number(text));

/**
 * Reads every packet of stream `streamIndex` (demuxing only). `frameSeconds` stands in for the
 * last packet's duration where the container does not give one.
 */
export function readVideoPackets(path: string, streamIndex: number, frameSeconds: number): Promise<VideoPackets> {
  const { ffprobe, ffprobeEnv } = ffmpegBinaries();
  const args = ['-v', 'warning', '-select_streams', String(streamIndex), '-show_entries', 'packet=pts_time,dts_time,duration_time,flags', '-of', 'csv=p=0', '-i', path];
  // One line a packet: streamed, as a long film has hundreds of thousands.
  const child = spawn(ffprobe, args, { env: ffprobeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const cutShort = truncation(streamIndex);
  let said: string | undefined;
  let lastLine = '';
  createInterface({ input: child.stderr }).on('line', (line) => {
    const text = line.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').replace(/\.$/, '').trim();
    if (!text) return;
    lastLine = text;
    if (!said && cutShort.test(text)) said = text;
  });
  let count = 0;
  let first = Infinity;
  let last = -Infinity;
  let lastDuration: number | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    // ffprobe prints the fields in its own order: pts, dts, duration, flags.
    const [pts, dts, duration, flags = ''] = line.split(',');
    // Packets an edit list hides (before the cut of a stream copy) are marked D and never shown.
    if (!line || flags.includes('D')) return;
    count++;
    const t = seconds(pts) ?? seconds(dts);
    if (t === undefined || !Number.isFinite(t)) return;
    if (t < first) first = t;
    if (t >= last) {
      last = t;
      lastDuration = seconds(duration);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new UserError(`cannot run ffprobe (${err.message}): set FFPROBE_PATH to a working ffprobe`)));
    child.once('close', (code, signal) => {
      if (code !== 0 && !said) return reject(new UserError(`cannot read the video stream of ${path}: ${lastLine || `ffprobe ended by ${signal ?? `exit code ${code}`}`}`));
      const timed = Number.isFinite(first);
      const end = last + (lastDuration && lastDuration > 0 ? lastDuration : frameSeconds);
      resolve({ count, firstSeconds: timed ? first : undefined, spanSeconds: timed ? end - first : undefined, truncation: said });
    });
  });
}

/** Video packets in a file, counted without decoding: how a finished part or join is checked. */
export async function countVideoPackets(path: string): Promise<number> {
  const args = ['-v', 'warning', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', '-i', path];
  const { stdout } = await runFfprobe(args).catch((err: Error) => {
    throw new UserError(`cannot read ${path}: ${err.message}`);
  });
  const n = Number.parseInt(stdout.trim(), 10);
  if (!Number.isInteger(n)) throw new UserError(`cannot read ${path}: no video stream`);
  return n;
}
