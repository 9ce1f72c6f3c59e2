// A full disk named as such: ffmpeg may say "No space left on device", or only later, when the
// cut-short file is read back, "Invalid data found"; the folder's free space is the evidence.
import { statfs } from 'node:fs/promises';
import { UserError } from '../errors.js';

/** ffmpeg's buffered writes fail with up to one buffer (32 KiB) unwritten: less than this free is a full disk. */
const FULL_BELOW_BYTES = 256 * 1024;

// ffmpeg's words, Node's codes, and ffmpegReason's phrase for the first (src/ffmpeg.ts).
const FULL_MESSAGE = /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT|the disk is full/i;

export const megabytes = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`);

export async function freeBytes(dir: string): Promise<number | undefined> {
  return statfs(dir).then((s) => s.bavail * s.bsize, () => undefined);
}

/**
 * The disk-full error for a failure writing in `dir`, or undefined when the failure is not that:
 * the error says so, or the folder has (almost) no space left. `needBytes` is what the rest of
 * the work would take, as well as it is known.
 */
export async function diskFullError(err: unknown, dir: string, needBytes: number | undefined, kept: string): Promise<UserError | undefined> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const said = code === 'ENOSPC' || code === 'EDQUOT' || FULL_MESSAGE.test(err instanceof Error ? err.message : String(err));
  const free = await freeBytes(dir);
  if (!said && !(free !== undefined && free < FULL_BELOW_BYTES)) return undefined;
  const quota = code === 'EDQUOT' || /quota/i.test(String((err as Error)?.message)) ? ' (or its quota is used up)' : '';
  const need = needBytes ? `, and the render needs about ${megabytes(needBytes)} more` : '';
  return new UserError(`the disk is full${quota}: ${dir} has ${megabytes(free ?? 0)} free${need}: free some space there, then run the same command again (${kept})`);
}
