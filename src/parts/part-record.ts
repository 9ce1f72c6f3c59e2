// What a committed part must be, written beside it (`<part>.json`) before the part takes its name:
// a part cut short or with bytes flipped by a failing disk or a half-synced shared folder is found
// by its size at once and by its SHA-256 before it is joined, and never trusted (docs/farm-faults.md).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { countVideoPackets } from '../decode/probe.js';
import { spanLength, type Part } from './part-plan.js';

export interface PartRecord {
  frames: number;
  bytes: number;
  sha256: string;
  /** the shard that wrote it, "I/N"; undefined for a render without --shard */
  shard?: string;
}

export const recordPathOf = (partPath: string): string => `${partPath}.json`;

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Records what the finished file at `temporaryPath` is, for the part it becomes at `partPath`;
 * written atomically (a hidden file renamed), so a record is whole or absent.
 */
export async function writePartRecord(partPath: string, temporaryPath: string, part: Part, shard: string | undefined): Promise<void> {
  const frames = await countVideoPackets(temporaryPath);
  if (frames !== spanLength(part)) throw new Error(`the encoder wrote ${frames} frames for ${basename(partPath)}, not ${spanLength(part)}`);
  const record: PartRecord = { frames, bytes: (await stat(temporaryPath)).size, sha256: await sha256Of(temporaryPath), shard };
  const path = recordPathOf(partPath);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await writeFile(temporary, JSON.stringify(record) + '\n');
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

export async function readPartRecord(partPath: string): Promise<PartRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(recordPathOf(partPath), 'utf8')) as PartRecord;
    return typeof record.sha256 === 'string' && record.bytes >= 0 ? record : undefined;
  } catch {
    return undefined;
  }
}

/** How thoroughly a part is checked: its size against its record, or its checksum too. */
export type Verification = 'size' | 'checksum';

/**
 * Why the part at `path` cannot be used, or undefined when it is sound. A part without a record
 * (a folder from before records) is counted: its video packets must be its frames.
 */
export async function partFault(path: string, part: Part, how: Verification): Promise<string | undefined> {
  const size = await stat(path).then((s) => s.size, () => undefined);
  if (size === undefined) return 'missing';
  const record = await readPartRecord(path);
  if (!record) {
    const frames = await countVideoPackets(path).catch(() => undefined);
    return frames === spanLength(part) ? undefined : `unreadable or ${frames ?? 'no'} frames instead of ${spanLength(part)} (no record beside it)`;
  }
  if (record.frames !== spanLength(part)) return `its record says ${record.frames} frames, not ${spanLength(part)}`;
  if (size !== record.bytes) return `${size} bytes, its record says ${record.bytes}`;
  if (how === 'checksum' && (await sha256Of(path)) !== record.sha256) return 'its SHA-256 differs from its record';
  return undefined;
}

/** Removes a part and its record, so that a render makes it again. */
export async function removePart(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(recordPathOf(path), { force: true });
}
