// Joining parts: checked complete, concatenated without re-encoding the video, the input's audio
// for the range added, the result written atomically.
import { stat, unlink, writeFile } from 'node:fs/promises';
import { join as joinPath, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { audioInputOptions, audioOutputOptions, audioUnderFrames, containerOptions, type AudioSource } from '../encode/encoder.js';
import { countVideoPackets, parseRational, rationalValue } from '../decode/probe.js';
import { UserError } from '../errors.js';
import { OptionFailure } from '../errors.js';
import { ffmpegCommand, ffmpegReason, track } from '../ffmpeg.js';
import { prepareOutput } from '../output.js';
import { partsOf, spanLength, type Part } from './part-plan.js';
import { existingPartsFolder, type PartsManifest } from './parts-folder.js';

export interface JoinOptions {
  /** the output every shard was given with -o */
  output: string;
  /** the input, if it has moved since the shards saw it (its audio goes into the output) */
  input?: string;
  overwrite?: boolean;
  /** keep `<output>.parts/` after a successful join (it is removed by default) */
  keepParts?: boolean;
  /** wait up to this many seconds for missing parts to appear, e.g. while shards still run */
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface JoinResult {
  output: string;
  frames: number;
  parts: number;
  audio: boolean;
}

/** "frames 48-95 and 120-143 (parts 2, 3, 5)" */
function describe(parts: Part[]): string {
  const spans: Array<[number, number]> = [];
  for (const p of parts) {
    const last = spans.at(-1);
    if (last && last[1] + 1 === p.start) last[1] = p.end;
    else spans.push([p.start, p.end]);
  }
  return `frames ${spans.map(([a, b]) => `${a}-${b}`).join(', ')} (part${parts.length > 1 ? 's' : ''} ${parts.map((p) => p.index).join(', ')})`;
}

export async function joinParts(options: JoinOptions): Promise<JoinResult> {
  const folder = await existingPartsFolder(options.output);
  const { manifest, dir } = folder;
  const parts = partsOf(manifest.range, manifest.partFrames);
  const missingParts = async () => {
    const done = await folder.completed(parts);
    return parts.filter((p) => !done.has(p.index));
  };
  const deadline = Date.now() + 1000 * (options.waitSeconds ?? 0);
  let missing = await missingParts();
  while (missing.length && Date.now() < deadline) {
    await sleep(Math.min(5000, Math.max(100, deadline - Date.now())), undefined, { signal: options.signal });
    missing = await missingParts();
  }
  if (missing.length) {
    throw new UserError(`cannot join ${options.output}: ${missing.length} of ${parts.length} parts are missing, ${describe(missing)}: run the shards that render them (the same command finishes what is left), then join again`);
  }
  // A part is renamed into place only once complete; counting its packets also catches damage since.
  for (const part of parts) {
    const path = folder.path(part);
    const frames = await countVideoPackets(path);
    if (frames !== spanLength(part)) {
      throw new UserError(`cannot join ${options.output}: ${path} holds ${frames} frames, not ${spanLength(part)}: delete it and run its shard again`);
    }
  }

  const audio = manifest.input.hasAudio ? await audioSource(manifest, options.input) : undefined;
  const output = await prepareOutput(options.output, { input: options.input ?? manifest.input.path, overwrite: options.overwrite });
  const list = joinPath(dir, `.concat-${process.pid}.txt`);
  // The concat demuxer's own quoting: a ' inside '…' is written '\''.
  const quote = (path: string) => `'${resolve(path).replaceAll("'", "'\\''")}'`;
  await writeFile(list, parts.map((p) => `file ${quote(folder.path(p))}\n`).join(''));
  try {
    await concatenate(list, output.temporaryPath, manifest.container, audio);
    const frames = await countVideoPackets(output.temporaryPath);
    const expected = spanLength(manifest.range);
    if (frames !== expected) throw new UserError(`joining ${options.output} gave ${frames} frames instead of ${expected}; the parts are kept in ${dir}`);
    await output.commit();
    if (!options.keepParts) await folder.remove();
    return { output: options.output, frames, parts: parts.length, audio: !!audio };
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    await unlink(list).catch(() => undefined);
  }
}

async function audioSource(manifest: PartsManifest, override: string | undefined): Promise<AudioSource> {
  const path = override ?? manifest.input.path;
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new OptionFailure(`cannot join: the input ${path} (its audio goes into the output) is not there: pass {input} <path> to where it is now`);
  if (st.size !== manifest.input.bytes) {
    throw new OptionFailure(`cannot join: ${path} is ${st.size} bytes, but the shards rendered a file of ${manifest.input.bytes} bytes: pass {input} <the file they rendered>`);
  }
  const { audioStream: stream, audioCodec: codec, videoStartSeconds } = manifest.input;
  return audioUnderFrames({ path, stream, codec, videoStartSeconds }, rationalValue(parseRational(manifest.input.fps)!), manifest.range.start, spanLength(manifest.range));
}

function concatenate(list: string, destination: string, container: string, audio: AudioSource | undefined): Promise<void> {
  const command = track(ffmpegCommand());
  command.input(list).inputOptions(['-v', 'error', '-f', 'concat', '-safe', '0']);
  const output = ['-map', '0:v:0', '-c:v', 'copy'];
  if (audio) {
    command.input(audio.path).inputOptions(audioInputOptions(audio));
    output.push(...audioOutputOptions(container, audio, 1));
  }
  output.push(...containerOptions(container));
  command.outputOptions(output).output(destination);
  return new Promise((resolvePromise, reject) => {
    command.once('end', () => resolvePromise());
    command.once('error', (err: Error, _out: string, stderr: string) => reject(new UserError(`joining failed: ${ffmpegReason(stderr) || err.message}`)));
    command.run();
  });
}
