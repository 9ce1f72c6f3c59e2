// `<output>.parts/`: the parts of one render, and plan.json saying which render they belong to.
// Shards on many machines and a resumed run all write here; a part appears under its final name
// only once its encoder has finished, so a name present is a part complete.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { OptionError, OptionFailure } from '../errors.js';
import { checkOutputPath, prepareOutput, type PendingOutput } from '../output.js';
import type { FrameSpan, Part } from './part-plan.js';
import { partFault, removePart, type Verification } from './part-record.js';
import { describeOwner, liveHolders, lockParts, type PartLocks } from './part-locks.js';

export interface PartsManifest {
  version: 1;
  input: {
    /** absolute, where the first shard saw it; join takes the audio from here unless told otherwise */
    path: string;
    bytes: number;
    frames: number;
    fps: string;
    width: number;
    height: number;
    hasAudio: boolean;
    /** the audio stream's index in the input (older plans: the first audio stream) */
    audioStream?: number;
    audioCodec?: string;
    /** when the input's first video frame is shown, from the start of the file */
    videoStartSeconds?: number;
  };
  /** the frames rendered, 0-based inclusive */
  range: FrameSpan;
  partFrames: number;
  container: string;
  /**
   * Everything that changes the pixels, by option (the table's `pixels` options, as the render
   * resolved them; a --model by its weights' SHA-256): parts made otherwise do not belong with these.
   */
  settings: Readonly<Record<string, unknown>>;
  /** the temporal stage that made the parts (temporal/index.ts, TEMPORAL_METHOD); none in older folders and renders without one */
  temporalMethod?: string;
}

export interface DamagedPart {
  part: Part;
  path: string;
  reason: string;
}

export const partsFolderOf = (output: string): string => `${output}.parts`;
const PLAN = 'plan.json';

const pad = (n: number) => String(n).padStart(6, '0');
const EXTENSION: Record<string, string> = { mp4: 'mp4', mov: 'mov', mkv: 'mkv', webm: 'webm' };
export const partFileName = (part: FrameSpan, container: string): string => `part-${pad(part.start)}-${pad(part.end)}.${EXTENSION[container]}`;

export interface PartsFolder {
  dir: string;
  manifest: PartsManifest;
  path(part: Part): string;
  /** indices of the parts already complete (present under their names) */
  completed(parts: readonly Part[]): Promise<Set<number>>;
  /** the parts present and sound, and those present but damaged, with the reason */
  verify(parts: readonly Part[], how: Verification): Promise<{ sound: Set<number>; damaged: DamagedPart[] }>;
  /** a hidden file for the part's encoder, renamed to the part's name on commit */
  reserve(part: Part): Promise<PendingOutput>;
  remove(): Promise<void>;
}

/**
 * The first difference between two manifests' render settings, or undefined if they match; options
 * are written `{name}` (see OptionError), so the message names them as the caller does.
 */
export function manifestDifference(a: PartsManifest, b: PartsManifest): string | undefined {
  const facts = (m: PartsManifest): Record<string, unknown> => ({
    'input size': m.input.bytes,
    'input frames': m.input.frames,
    'frame rate': m.input.fps,
    'frame size': `${m.input.width}x${m.input.height}`,
    frames: `${m.range.start}-${m.range.end}`,
    '{partFrames}': m.partFrames,
    container: m.container,
    'temporal method': m.temporalMethod,
    ...Object.fromEntries(Object.entries(m.settings).map(([option, value]) => [`{${option}}`, value])),
  });
  const [x, y] = [facts(a), facts(b)];
  for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (x[key] !== y[key]) return `${key} ${y[key] ?? '(none)'} there, ${x[key] ?? '(none)'} here`;
  }
  return undefined;
}

export async function readManifest(output: string): Promise<PartsManifest> {
  const file = join(partsFolderOf(output), PLAN);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new OptionFailure(`no parts to join for ${output}: ${file} does not exist; render with {shard} I/N and the same {output} first`);
  }
  try {
    const manifest = JSON.parse(text) as PartsManifest;
    if (manifest.version !== 1 || !manifest.range || !(manifest.partFrames > 0)) throw new Error('unknown layout');
    return manifest;
  } catch (err) {
    throw new UserError(`${file} is damaged (${(err as Error).message}): delete ${partsFolderOf(output)} and render again`);
  }
}

/**
 * Opens (creating if needed) the parts folder of a render. The first writer's plan.json wins; a
 * folder holding another render's parts is an error, or with `overwrite` is cleared.
 */
export async function openPartsFolder(output: string, manifest: PartsManifest, options: { overwrite?: boolean } = {}): Promise<PartsFolder> {
  const dir = partsFolderOf(output);
  for (let attempt = 0; ; attempt++) {
    await mkdir(dir, { recursive: true });
    const claimed = await claimPlan(dir, manifest);
    if (claimed) break;
    const existing = await readManifest(output);
    const difference = manifestDifference(manifest, existing);
    if (!difference) break;
    if (!options.overwrite || attempt > 0) {
      throw new OptionError(`${dir} holds parts of another render (${difference}): render with the same settings, or pass {overwrite} to discard those parts`);
    }
    // Not from under a live writer: its next part would land, with a sound record, in this render's folder.
    const [holder] = await liveHolders(dir);
    if (holder) throw new OptionFailure(`${dir} holds parts of another render (${difference}) that ${describeOwner(holder)} is still writing: stop it or let it finish, then run this again`);
    await rm(dir, { recursive: true, force: true });
  }
  return partsFolder(dir, manifest);
}

/**
 * Opens the parts folder and locks this writer's parts (see part-locks.ts); then removes the parts
 * among them that are damaged, so that the render makes them again. A folder removed meanwhile (a
 * render of the same output that just finished and joined) is opened again, after checking the output.
 */
export async function openAndLockPartsFolder(
  output: string,
  manifest: PartsManifest,
  mine: readonly Part[],
  options: { overwrite?: boolean; what: string; waitSeconds?: number; signal?: AbortSignal },
): Promise<{ folder: PartsFolder; locks: PartLocks; sound: Set<number>; damaged: DamagedPart[] }> {
  for (;;) {
    const folder = await openPartsFolder(output, manifest, options).catch((err: unknown) => {
      throw unwritable(err, partsFolderOf(output));
    });
    let locks: PartLocks;
    try {
      locks = await lockParts(folder.dir, mine, options.what, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritable(err, folder.dir);
      await checkOutputPath(output, { input: manifest.input.path, overwrite: options.overwrite });
      continue;
    }
    try {
      // What a finished writer may have written meanwhile.
      await checkOutputPath(output, { input: manifest.input.path, overwrite: options.overwrite });
      const { sound, damaged } = await folder.verify(mine, 'checksum');
      for (const { path } of damaged) await removePart(path);
      return { folder, locks, sound, damaged };
    } catch (err) {
      await locks.release();
      throw err;
    }
  }
}

/** A folder the render cannot write in, said before any frame is stylized. */
function unwritable(err: unknown, dir: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'EROFS' ? 'the file system is read-only' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : undefined;
  return why ? new OptionFailure(`cannot write the parts folder ${dir}: ${why} (${code}): write the output elsewhere ({output}), or make the folder writable`) : err;
}

/** The parts folder of a render that exists already, with the plan its first writer saved: for join. */
export async function existingPartsFolder(output: string): Promise<PartsFolder> {
  return partsFolder(partsFolderOf(output), await readManifest(output));
}

function partsFolder(dir: string, manifest: PartsManifest): PartsFolder {
  const path = (part: Part) => join(dir, partFileName(part, manifest.container));
  return {
    dir,
    manifest,
    path,
    async completed(parts) {
      const names = new Set(await readdir(dir));
      return new Set(parts.filter((p) => names.has(partFileName(p, manifest.container))).map((p) => p.index));
    },
    async verify(parts, how) {
      const sound = new Set<number>();
      const damaged: DamagedPart[] = [];
      for (const part of parts) {
        const fault = await partFault(path(part), part, how);
        if (!fault) sound.add(part.index);
        else if (fault !== 'missing') damaged.push({ part, path: path(part), reason: fault });
      }
      return { sound, damaged };
    },
    reserve: (part) => prepareOutput(path(part), { input: manifest.input.path, overwrite: true }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Writes plan.json if there is none, atomically even with many machines on one shared folder. */
async function claimPlan(dir: string, manifest: PartsManifest): Promise<boolean> {
  const temporary = join(dir, `.plan-${process.pid}-${randomBytes(3).toString('hex')}.json`);
  try {
    await writeFile(temporary, JSON.stringify(manifest, null, 2) + '\n');
    // link() fails if the name exists, unlike rename(): exactly one writer wins.
    await link(temporary, join(dir, PLAN));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
