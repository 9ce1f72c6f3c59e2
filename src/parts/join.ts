// Joining parts: checked complete, concatenated without re-encoding the video, the input's audio
// for the range added, the result written atomically.
import { randomBytes } from 'node:crypto';
import { stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join as joinPath, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { audioInputOptions, audioOutputOptions, audioUnderFrames, containerOptions, type AudioSource } from '../encode/encoder.js';
import { countVideoPackets, parseRational, rationalValue } from '../decode/probe.js';
import { UserError } from '../errors.js';
import { OptionFailure } from '../errors.js';
import { ffmpegCommand, ffmpegReason, track } from '../ffmpeg.js';
import { prepareOutput } from '../output.js';
import { partsOf, spanLength, type Part } from './part-plan.js';
import { existingPartsFolder, type DamagedPart, type PartsFolder, type PartsManifest } from './parts-folder.js';
import { describeOwner, liveHolders } from './part-locks.js';
import { readPartRecord } from './part-record.js';
import { diskFullError } from './disk-space.js';

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
  // Cheap checks (present, the size its record says) while waiting; the checksums once, before joining.
  const unready = async () => {
    const { sound, damaged } = await folder.verify(parts, 'size');
    return { missing: parts.filter((p) => !sound.has(p.index) && !damaged.some((d) => d.part === p)), damaged };
  };
  const deadline = Date.now() + 1000 * (options.waitSeconds ?? 0);
  let state = await unready();
  while (state.missing.length + state.damaged.length && Date.now() < deadline) {
    await sleep(Math.min(5000, Math.max(100, deadline - Date.now())), undefined, { signal: options.signal });
    state = await unready();
  }
  const { missing } = state;
  if (missing.length + state.damaged.length) {
    // A writer still holding the parts may be making them now: say so, not that they are lost.
    const holders = await liveHolders(dir, [...missing, ...state.damaged.map((d) => d.part)]);
    if (holders.length) {
      throw new UserError(`cannot join ${options.output} yet: ${describe([...missing, ...state.damaged.map((d) => d.part)].sort((a, b) => a.index - b.index))} are still being rendered by ${holders.map(describeOwner).join(', ')}: join with --wait <seconds> to wait for them`);
    }
  }
  if (state.damaged.length) throw await damagedError(options.output, folder, state.damaged, parts.length);
  if (missing.length) {
    throw new UserError(`cannot join ${options.output}: ${missing.length} of ${parts.length} parts are missing, ${describe(missing)}: run the shards that render them (the same command finishes what is left), then join again`);
  }
  const { damaged } = await folder.verify(parts, 'checksum');
  if (damaged.length) throw await damagedError(options.output, folder, damaged, parts.length);

  const audio = manifest.input.hasAudio ? await audioSource(manifest, options.input) : undefined;
  const output = await prepareOutput(options.output, { input: options.input ?? manifest.input.path, overwrite: options.overwrite });
  const list = joinPath(dir, `.concat-${process.pid}-${randomBytes(3).toString('hex')}.txt`);
  // The concat demuxer's own quoting: a ' inside '…' is written '\''.
  const quote = (path: string) => `'${resolve(path).replaceAll("'", "'\\''")}'`;
  await writeFile(list, parts.map((p) => `file ${quote(folder.path(p))}\n`).join(''));
  try {
    const frames = await concatenate(list, output.temporaryPath, manifest.container, audio)
      .then(() => countVideoPackets(output.temporaryPath))
      .catch(async (err: unknown) => {
        // A full disk shows here as a failed write, or as a joined file that cannot be read back.
        const size = await Promise.all(parts.map((p) => stat(folder.path(p)).then((s) => s.size))).then((sizes) => sizes.reduce((a, b) => a + b, 0), () => undefined);
        throw (await diskFullError(err, dirname(resolve(options.output)), size, `the parts stay in ${dir}; run the same join again`)) ?? err;
      });
    const expected = spanLength(manifest.range);
    if (frames !== expected) throw new UserError(`joining ${options.output} gave ${frames} frames instead of ${expected}; the parts are kept in ${dir}`);
    await output.commit();
    // A writer still holding locks here (a shard run again) finds its parts done; the folder stays for it.
    // The output is finished: a folder that cannot be removed (another host's file open in it) stays.
    if (!options.keepParts && !(await liveHolders(dir, parts)).length) await folder.remove().catch(() => undefined);
    return { output: options.output, frames, parts: parts.length, audio: !!audio };
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    await unlink(list).catch(() => undefined);
  }
}

/** Each damaged part, its frames, and who makes it again: its shard (from its record) or the render. */
async function damagedError(output: string, folder: PartsFolder, damaged: DamagedPart[], total: number): Promise<UserError> {
  const items = await Promise.all(
    damaged.map(async ({ part, path, reason }) => {
      const shard = (await readPartRecord(path))?.shard;
      const again = shard ? `run shard ${shard} again (its command, --shard ${shard})` : 'run the render again (the same command)';
      return `${basename(path)} (frames ${part.start}-${part.end}): ${reason}; ${again}`;
    }),
  );
  return new UserError(`cannot join ${output}: ${damaged.length} of ${total} parts in ${folder.dir} are damaged and were not joined: ${items.join('; ')}; it renders only the damaged parts again, then join again`);
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
