// One writer per part, across machines that share the parts folder: a writer holds a lock file per
// part it may write (`part-….lock`, made with link(), which fails if the name exists, so exactly one
// creator wins), naming its host, pid and start, and refreshes their mtime as a heartbeat. A lock
// whose process is gone (same host) or whose heartbeat is stale (another host) is removed by the one
// writer that creates its takeover marker, and only if it is still there (docs/farm-faults.md).
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OptionFailure } from '../errors.js';
import type { Part } from './part-plan.js';

export interface LockOwner {
  host: string;
  pid: number;
  /** ISO time the writer started */
  started: string;
  /** what it is, for messages: "shard 1/3" or "render" */
  what: string;
  /** tells this lock from another of the same host and pid */
  nonce: string;
}

/** How often a holder refreshes its locks, and how old a heartbeat from another host must be to count as dead. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

export const lockNameOf = (part: Part): string => `part-${String(part.start).padStart(6, '0')}-${String(part.end).padStart(6, '0')}.lock`;

export interface PartLocks {
  /** Gives the locks up (after the render, or when it fails). */
  release(): Promise<void>;
  /** The reason the locks were lost (taken over while held), if they were. */
  lost(): string | undefined;
}

const held = new Set<string>();
// A run that ends by process.exit (a signal) still gives its locks up.
process.once('exit', () => {
  for (const path of held) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function readOwner(path: string): Promise<{ owner: LockOwner; mtimeMs: number; ino: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { owner: JSON.parse(text) as LockOwner, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** Why the lock's holder is dead, or undefined while it lives. */
function deadHolder(lock: { owner: LockOwner; mtimeMs: number }, now = Date.now()): string | undefined {
  const { owner } = lock;
  if (owner.host === hostname()) return alive(owner.pid) ? undefined : `process ${owner.pid} is gone`;
  const age = now - lock.mtimeMs;
  return age > STALE_MS ? `its heartbeat stopped ${Math.round(age / 1000)} s ago` : undefined;
}

export const describeOwner = (owner: LockOwner): string => `${owner.what} (pid ${owner.pid} on ${owner.host}, since ${owner.started})`;

/** The live holders of any of these parts' locks, other than this process. */
export async function liveHolders(dir: string, parts: readonly Part[]): Promise<LockOwner[]> {
  const owners = new Map<string, LockOwner>();
  for (const part of parts) {
    const lock = await readOwner(join(dir, lockNameOf(part)));
    if (lock && !deadHolder(lock) && !(lock.owner.host === hostname() && lock.owner.pid === process.pid)) owners.set(lock.owner.nonce, lock.owner);
  }
  return [...owners.values()];
}

type Attempt = { ok: true; ino: number } | { ok: false; holder: LockOwner };

/** Creates `path` holding `owner`, or answers undefined if the name exists: link() lets exactly one creator win. */
async function create(path: string, owner: LockOwner, dir: string): Promise<number | undefined> {
  const temporary = join(dir, `.lock-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(temporary, JSON.stringify(owner) + '\n');
  try {
    await link(temporary, path);
    return (await stat(temporary)).ino;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * Removes the file at `path` (a lock, or a marker below) if it still holds `dead`. Only the writer
 * that creates `<lock>.takeover-<nonce>` may, so no writer can remove a live lock made after the
 * dead one was judged (renaming aside could: it moves whatever is there by then). A marker whose
 * taker died part-way is dead in the same sense and removed the same way.
 */
async function removeDead(lock: string, path: string, dead: LockOwner, taker: LockOwner, dir: string): Promise<void> {
  const marker = `${lock}.takeover-${dead.nonce}`;
  const mine: LockOwner = { ...taker, nonce: randomBytes(8).toString('hex') };
  if ((await create(marker, mine, dir)) === undefined) {
    const other = await readOwner(marker);
    if (other && deadHolder(other)) await removeDead(lock, marker, other.owner, taker, dir);
    else await sleep(10); // another writer is taking it over: milliseconds
    return;
  }
  try {
    // Nothing but this marker's holder removes a file of `dead`'s, so it cannot change in between.
    if ((await readOwner(path))?.owner.nonce === dead.nonce) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

async function tryLock(path: string, owner: LockOwner, dir: string): Promise<Attempt> {
  for (;;) {
    const ino = await create(path, owner, dir);
    if (ino !== undefined) return { ok: true, ino };
    const existing = await readOwner(path);
    if (!existing) continue; // released meanwhile
    if (!deadHolder(existing)) return { ok: false, holder: existing.owner };
    await removeDead(path, path, existing.owner, owner, dir);
  }
}

/**
 * Locks every part in `parts` for this process, or throws one line naming the holder; with
 * `waitSeconds`, waits that long for the holder to finish first.
 */
export async function lockParts(dir: string, parts: readonly Part[], what: string, { waitSeconds = 0, signal }: { waitSeconds?: number; signal?: AbortSignal } = {}): Promise<PartLocks> {
  const owner: LockOwner = { host: hostname(), pid: process.pid, started: new Date().toISOString(), what, nonce: randomBytes(8).toString('hex') };
  const deadline = Date.now() + 1000 * waitSeconds;
  const mine = new Map<string, number>();
  const releaseAll = async () => {
    for (const path of mine.keys()) {
      // Only a lock that is still ours: one taken over belongs to its new holder.
      if ((await stat(path).then((s) => s.ino, () => undefined)) === mine.get(path)) await unlink(path).catch(() => undefined);
      held.delete(path);
    }
    mine.clear();
  };
  // In order of the parts, so two writers reaching for the same parts do not each hold half.
  try {
    for (let i = 0; i < parts.length; ) {
      const path = join(dir, lockNameOf(parts[i]));
      const attempt = await tryLock(path, owner, dir);
      if (attempt.ok) {
        mine.set(path, attempt.ino);
        held.add(path);
        i++;
        continue;
      }
      if (Date.now() >= deadline) {
        const wait = waitSeconds ? `it did not finish within {wait} ${waitSeconds}` : 'wait for it to finish, or pass {wait} <seconds>';
        throw new OptionFailure(`${dir}: frames ${parts[i].start}-${parts[i].end} are being rendered by ${describeOwner(attempt.holder)}: ${wait}; a lock whose process is gone is taken over by itself`);
      }
      await sleep(Math.min(1000, Math.max(50, deadline - Date.now())), undefined, { signal });
    }
  } catch (err) {
    // All or none: a failure or an abort part-way gives back what was taken.
    await releaseAll();
    throw err;
  }

  let lostReason: string | undefined;
  const heartbeat = setInterval(() => {
    const now = new Date();
    void Promise.all(
      [...mine].map(async ([path, ino]) => {
        const current = await stat(path).then((s) => s.ino, () => undefined);
        if (current !== ino) lostReason ??= `the lock ${path} was taken over by another writer`;
        else await utimes(path, now, now).catch(() => undefined);
      }),
    );
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      await releaseAll();
    },
    lost: () => lostReason,
  };
}
