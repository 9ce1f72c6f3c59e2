// One writer per part, across machines that share the parts folder: a writer holds a lock file per
// part it may write (`part-….lock`, made with link(), which fails if the name exists, so exactly one
// creator wins), naming its host, pid and start, and refreshes their mtime as a heartbeat. A lock
// whose process is gone (same machine) or whose heartbeat is stale (another machine) is removed by
// the one writer that creates its takeover marker, and only if it is still there; its holder gives
// it up the same way (docs/farm-faults.md).
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, open, readdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OptionFailure } from '../errors.js';
import type { Part } from './part-plan.js';

export interface LockOwner {
  host: string;
  /** the pid namespace (Linux): containers that share a host name cannot see each other's pids */
  pidNamespace?: string;
  pid: number;
  /** ISO time the writer started */
  started: string;
  /** what it is, for messages: "shard 1/3" or "render" */
  what: string;
  /** tells this lock from another of the same host and pid */
  nonce: string;
}

/** How often a holder refreshes its locks, and how old a heartbeat from another machine must be to count as dead. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

export const lockNameOf = (part: Part): string => `part-${String(part.start).padStart(6, '0')}-${String(part.end).padStart(6, '0')}.lock`;
const LOCK_NAME = /^part-\d{6,}-\d{6,}\.lock$/;

export interface PartLocks {
  /** Throws one line if another writer has taken over this part's lock (any of them, without a part): called before a part is put in place. */
  assertHeld(part?: Part): Promise<void>;
  /** Gives the locks up (after the render, or when it fails). */
  release(): Promise<void>;
}

const ownPidNamespace = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();

// Each lock this process holds (by path and nonce), so that a run that ends by process.exit (a signal) still gives them up.
const held = new Map<string, { path: string; owner: LockOwner }>();
const heldKey = (path: string, owner: LockOwner) => `${path}\0${owner.nonce}`;
// And the hidden files of a lock being made when a signal ends the process.
const temporaries = new Set<string>();
process.once('exit', () => {
  for (const { path, owner } of held.values()) giveUp(path, owner);
  for (const temporary of temporaries) rmSync(temporary, { force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** A lock or marker as read: its owner (undefined when it cannot be parsed), and its heartbeat. */
interface LockFile {
  owner?: LockOwner;
  mtimeMs: number;
  ino: number;
}

async function readLock(path: string): Promise<LockFile | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    // One handle for both, so the heartbeat read is that of the file whose owner is read.
    const st = await handle.stat();
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(await handle.readFile('utf8')) as LockOwner;
      if (typeof owner?.nonce !== 'string') owner = undefined;
    } catch {
      owner = undefined; // empty or cut short: a crash of the file server or the machine
    }
    return { owner, mtimeMs: st.mtimeMs, ino: st.ino };
  } finally {
    await handle.close();
  }
}

/** What identifies one lock file for its removal: its nonce, or for one that cannot be read, its inode. */
const identity = (lock: LockFile): string => lock.owner?.nonce ?? `unreadable-${lock.ino}`;

// A lock without a namespace (an older version's) counts as this machine's when the host name is.
const onThisMachine = (owner: LockOwner): boolean => owner.host === hostname() && (owner.pidNamespace ?? ownPidNamespace) === ownPidNamespace;

/** Why the lock's holder is dead, or undefined while it lives: on this machine by its pid, which is exact, else by its heartbeat. */
function deadHolder(lock: LockFile, now = Date.now()): string | undefined {
  if (lock.owner && onThisMachine(lock.owner)) return alive(lock.owner.pid) ? undefined : `process ${lock.owner.pid} is gone`;
  const age = now - lock.mtimeMs;
  return age > STALE_MS ? `its heartbeat stopped ${Math.round(age / 1000)} s ago` : undefined;
}

export const describeOwner = (owner: LockOwner): string => `${owner.what} (pid ${owner.pid} on ${owner.host}, since ${owner.started})`;
const describeLock = (lock: LockFile): string => (lock.owner ? describeOwner(lock.owner) : 'a writer whose lock cannot be read (it counts as dead 30 s after its last change)');

/** The live holders of any of these parts' locks (of every lock in the folder, without parts), other than this process. */
export async function liveHolders(dir: string, parts?: readonly Part[]): Promise<LockOwner[]> {
  const names = parts ? parts.map(lockNameOf) : (await readdir(dir).catch(() => [])).filter((name) => LOCK_NAME.test(name));
  const owners = new Map<string, LockOwner>();
  for (const name of names) {
    const lock = await readLock(join(dir, name)).catch(() => undefined);
    if (lock?.owner && !deadHolder(lock) && !(onThisMachine(lock.owner) && lock.owner.pid === process.pid)) owners.set(lock.owner.nonce, lock.owner);
  }
  return [...owners.values()];
}

// The hidden file a lock or marker is written to before link() gives it its name.
const temporaryBeside = (path: string) => join(dirname(path), `.lock-${process.pid}-${randomBytes(4).toString('hex')}`);

/** Creates `path` holding `content`; false if the name exists: link() lets exactly one creator win. */
async function create(path: string, content: LockOwner): Promise<boolean> {
  const temporary = temporaryBeside(path);
  temporaries.add(temporary);
  try {
    await writeFile(temporary, JSON.stringify(content) + '\n');
    await link(temporary, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // NFS may send a link() that succeeded again and answer EEXIST: a second name says it was ours.
    return (await stat(temporary)).nlink > 1;
  } finally {
    await unlink(temporary).catch(() => undefined);
    temporaries.delete(temporary);
  }
}

const markerOf = (lock: string, id: string) => `${lock}.takeover-${id}`;
// Any other failure (a folder where this user cannot remove another's file) is said, not retried for ever.
const ignoreGone = (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ENOENT') throw err;
};

/**
 * Removes the file at `path` (a lock, or a marker) if it is still `id`'s. Only the writer that
 * creates `<lock>.takeover-<id>` may, its holder included, so no writer can remove a lock made after
 * the one it judged (renaming aside could: it moves whatever is there by then). Answers the live
 * writer in the way, if another is taking the same file over. A marker whose taker died part-way
 * is dead by the same rule and removed the same way.
 */
async function removeIfStill(lock: string, path: string, id: string, taker: LockOwner): Promise<LockFile | undefined> {
  const marker = markerOf(lock, id);
  if (!(await create(marker, { ...taker, nonce: randomBytes(8).toString('hex') }))) {
    const other = await readLock(marker);
    if (other && deadHolder(other)) return removeIfStill(lock, marker, identity(other), taker);
    return other;
  }
  try {
    // Nothing but this marker's holder removes a file of `id`'s, so it cannot change in between.
    const current = await readLock(path);
    if (current && identity(current) === id) await unlink(path).catch(ignoreGone);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
  return undefined;
}

/** The same for a holder giving its own lock up, synchronously: it also runs as the process exits. */
function giveUp(path: string, owner: LockOwner): void {
  const marker = markerOf(path, owner.nonce);
  const temporary = temporaryBeside(path);
  try {
    writeFileSync(temporary, JSON.stringify({ ...owner, nonce: randomBytes(8).toString('hex') }) + '\n');
    try {
      linkSync(temporary, marker);
    } catch (err) {
      // EEXIST: another writer is taking it over (this one was judged dead), unless NFS sent the link twice.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || statSync(temporary).nlink < 2) return;
    }
  } catch {
    return; // the folder is gone, or full: a lock left here is taken over once this process is gone
  } finally {
    rmSync(temporary, { force: true });
  }
  try {
    if ((JSON.parse(readFileSync(path, 'utf8')) as LockOwner).nonce === owner.nonce) unlinkSync(path);
  } catch {
    // gone, or another's
  } finally {
    rmSync(marker, { force: true });
  }
}

type Attempt = { ok: true } | { ok: false; holder: string };

async function tryLock(path: string, owner: LockOwner): Promise<Attempt> {
  for (let busy = 0; ; ) {
    if (await create(path, owner)) return { ok: true };
    const existing = await readLock(path);
    if (!existing) continue; // released meanwhile
    if (!deadHolder(existing)) return { ok: false, holder: describeLock(existing) };
    const inTheWay = await removeIfStill(path, path, identity(existing), owner);
    if (inTheWay) {
      // Another writer is taking it over, which takes milliseconds; named if it takes longer.
      if (++busy > 100) return { ok: false, holder: describeLock(inTheWay) };
      await sleep(10);
    }
  }
}

/**
 * Locks every part in `parts` for this process, or throws one line naming the holder; with
 * `waitSeconds`, waits that long for the holder to finish first.
 */
export async function lockParts(dir: string, parts: readonly Part[], what: string, { waitSeconds = 0, signal }: { waitSeconds?: number; signal?: AbortSignal } = {}): Promise<PartLocks> {
  const owner: LockOwner = { host: hostname(), pidNamespace: ownPidNamespace, pid: process.pid, started: new Date().toISOString(), what, nonce: randomBytes(8).toString('hex') };
  const deadline = Date.now() + 1000 * waitSeconds;
  const mine = new Set<string>();
  let lostReason: string | undefined;
  // Whether the lock is still this writer's, recording why not: lost when it is gone or another's; a failed read
  // (NFS's ESTALE, EIO) proves neither, and is read again next time.
  const checkMine = async (path: string) => {
    const lock = await readLock(path).then((l) => l ?? null, () => undefined);
    if (lock === undefined || lock?.owner?.nonce === owner.nonce) return true;
    lostReason ??= `the lock ${path} was taken over by another writer`;
    return false;
  };
  // From the first lock on: the parts taken stay alive while a later one is waited for.
  const heartbeat = setInterval(() => {
    const now = new Date();
    void Promise.all(
      [...mine].map(async (path) => {
        if (await checkMine(path)) await utimes(path, now, now).catch(() => undefined);
      }),
    );
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const releaseAll = () => {
    clearInterval(heartbeat);
    for (const path of mine) {
      giveUp(path, owner);
      held.delete(heldKey(path, owner));
    }
    mine.clear();
  };
  // In order of the parts, so two writers reaching for the same parts do not each hold half.
  try {
    for (let i = 0; i < parts.length; ) {
      const path = join(dir, lockNameOf(parts[i]));
      const attempt = await tryLock(path, owner);
      if (attempt.ok) {
        mine.add(path);
        held.set(heldKey(path, owner), { path, owner });
        i++;
        continue;
      }
      if (Date.now() >= deadline) {
        const wait = waitSeconds ? `it did not finish within {wait} ${waitSeconds}` : 'wait for it to finish, or pass {wait} <seconds>';
        throw new OptionFailure(`${dir}: frames ${parts[i].start}-${parts[i].end} are being rendered by ${attempt.holder}: ${wait}; a lock whose process is gone is taken over by itself`);
      }
      await sleep(Math.min(1000, Math.max(50, deadline - Date.now())), undefined, { signal });
    }
  } catch (err) {
    // All or none: a failure or an abort part-way gives back what was taken.
    releaseAll();
    throw err;
  }

  return {
    async assertHeld(part) {
      for (const path of part ? [join(dir, lockNameOf(part))] : mine) await checkMine(path);
      if (lostReason) throw new Error(`${lostReason}: two writers rendered the same parts; check the farm's task list, then run the same command again`);
    },
    async release() {
      releaseAll();
    },
  };
}
