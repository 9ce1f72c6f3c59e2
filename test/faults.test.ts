// A render farm's faults, each made for real (a part cut short or with bytes flipped, a full file
// system, two writers of one output, dead and foreign locks, an encoder killed with SIGKILL, a
// read-only folder): the exit code, the one-line message, the parts kept, and the same command then
// finishing with frames equal to an uninterrupted render's (lossless, compared by ffmpeg's framemd5).
// Without the temporal stage a resumed part is exact, not merely close (see the warm-up in part-plan.ts).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegBinaries } from 'stylize-video';
import { BIN, runCli } from './helpers/cli.js';
import { tinyModelAndClip } from './helpers/fixture.js';
import { makeClip } from './helpers/media.js';

/** ffmpeg's MD5 of every decoded frame, the header left out: equal lists are equal frames. */
const frameMd5 = (path: string): string[] =>
  execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());

const partsIn = (output: string): string[] => (existsSync(`${output}.parts`) ? readdirSync(`${output}.parts`).filter((f) => /^part-\d+-\d+\.mp4$/.test(f)).sort() : []);
const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0];
};
/** ffmpeg processes whose command line names this path. */
const ffmpegsOf = (path: string): string => spawnSync('pgrep', ['-f', `ffmpeg.*${path}`], { encoding: 'utf8' }).stdout.trim();

/** Mounts a small tmpfs at `dir`; true if it did, else the test is skipped with the reason (or fails where CI requires mounting). */
const mounted = (context: { skip: (note: string) => void }, dir: string, options: string): boolean => {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return true;
  const refused = `mount -t tmpfs failed here (${(r.stderr || r.error?.message || '').trim()}); CI runs as root and sets STYLIZE_VIDEO_REQUIRE_MOUNT=1`;
  if (process.env.STYLIZE_VIDEO_REQUIRE_MOUNT) throw new Error(refused);
  context.skip(refused);
  return false;
};
const unmount = (dir: string) => spawnSync('umount', [dir]);

describe('farm faults', () => {
  let dir: string;
  let model: string;
  let clip: string;
  let reference: string[];
  // 48 frames in parts of 8: 6 parts, 2 per shard of 3.
  const settings = ['--crf', '0', '--part-frames', '8', '--no-temporal', '--concurrency', '1'];
  const render = (output: string, ...more: string[]) => runCli([clip, '--model', model, '-o', output, ...settings, ...more]);

  beforeAll(() => {
    ({ dir, model, clip } = tinyModelAndClip('clip.mp4', { width: 96, height: 64, seconds: 2 }));
    const single = join(dir, 'single.mp4');
    const r = render(single);
    expect(r.status, r.stderr).toBe(0);
    reference = frameMd5(single);
    expect(reference).toHaveLength(48);
  });

  const shards = (output: string) => {
    for (let i = 0; i < 3; i++) {
      const r = render(output, '--shard', `${i}/3`);
      expect(r.status, r.stderr).toBe(0);
    }
  };

  it('a part cut short: join names it, its frames and its shard; that shard renders it again; the join matches', () => {
    const output = join(dir, 'cut.mp4');
    shards(output);
    const part = join(`${output}.parts`, 'part-000016-000023.mp4');
    truncateSync(part, Math.floor(statSync(part).size / 2));
    const r = runCli(['join', output]);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/part-000016-000023\.mp4 \(frames 16-23\): \d+ bytes, its record says \d+; run shard 1\/3 again/);
    expect(existsSync(output)).toBe(false);
    expect(partsIn(output)).toHaveLength(6);
    const again = render(output, '--shard', '1/3', '--json');
    expect(again.status, again.stderr).toBe(0);
    const start = JSON.parse(again.stdout.split('\n')[0]);
    expect(start.parts).toMatchObject({ total: 2, done: 1, damaged: [{ part: 2 }] });
    expect(runCli(['join', output]).status).toBe(0);
    expect(frameMd5(output)).toEqual(reference);
  });

  it('a part with bytes flipped (same size): join finds it by its checksum; the same render command mends it', () => {
    const output = join(dir, 'flipped.mp4');
    shards(output);
    const part = join(`${output}.parts`, 'part-000032-000039.mp4');
    const fd = openSync(part, 'r+');
    writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, Math.floor(statSync(part).size / 2));
    closeSync(fd);
    const r = runCli(['join', output]);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/part-000032-000039\.mp4 \(frames 32-39\): its SHA-256 differs from its record; run shard 2\/3 again/);
    expect(existsSync(output)).toBe(false);
    // The whole render (no --shard) checks every part's checksum, makes the bad one again and joins.
    const again = render(output);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming: 5 of 6 parts were already done/);
    expect(again.stderr).toMatch(/part 4 was damaged \(its SHA-256 differs from its record\): rendering it again/);
    expect(frameMd5(output)).toEqual(reference);
    expect(existsSync(`${output}.parts`)).toBe(false);
  });

  it('parts from before records are checked by counting their frames', () => {
    const output = join(dir, 'old.mp4');
    shards(output);
    for (const f of readdirSync(`${output}.parts`)) if (f.endsWith('.mp4.json')) rmSync(join(`${output}.parts`, f));
    truncateSync(join(`${output}.parts`, 'part-000000-000007.mp4'), 2000);
    const r = runCli(['join', output]);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/part-000000-000007\.mp4 \(frames 0-7\): unreadable or .* \(no record beside it\); run the render again/);
    expect(render(output).status).toBe(0);
    expect(frameMd5(output)).toEqual(reference);
  });

  it('two renders of one output at once: one renders, the other exits 1 naming it; then the output exists', async () => {
    const output = join(dir, 'twice.mp4');
    const start = () =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn('node', [BIN, clip, '--model', model, '-o', output, ...settings], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.once('exit', (status) => resolve({ status, stderr }));
      });
    const results = await Promise.all([start(), start()]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.stderr).join('\n')).toEqual([0, 1]);
    const loser = results.find((r) => r.status === 1)!;
    expect(oneLine(loser.stderr)).toMatch(new RegExp(`being rendered by a render of .*twice\\.mp4 \\(pid \\d+ on ${hostname()}, since .*\\): wait for it to finish, or pass --wait <seconds>`));
    expect(frameMd5(output)).toEqual(reference);
    expect(existsSync(`${output}.parts`)).toBe(false);
    // A retry after the first finished says the output is there (not a raw ENOENT).
    const late = render(output);
    expect(late.status).toBe(2);
    expect(oneLine(late.stderr)).toMatch(/already exists: pass -y\/--overwrite/);
  });

  it('a second writer with --wait waits for the holder, then finds the output written', async () => {
    const output = join(dir, 'waited.mp4');
    const first = spawn('node', [BIN, clip, '--model', model, '-o', output, ...settings], { stdio: 'ignore' });
    const lock = join(`${output}.parts`, 'part-000000-000007.lock');
    while (!existsSync(lock) && first.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const second = render(output, '--wait', '120');
    await new Promise((r) => (first.exitCode === null ? first.once('exit', r) : r(null)));
    expect(first.exitCode).toBe(0);
    expect(second.status).toBe(2);
    expect(oneLine(second.stderr)).toMatch(/already exists/);
    expect(frameMd5(output)).toEqual(reference);
  });

  it('a lock left by a process that no longer exists, and a stale one from another host, are taken over; a live one from another host is named', () => {
    const output = join(dir, 'stale.mp4');
    shards(output); // the folder and its plan, as a farm leaves them
    const folder = `${output}.parts`;
    rmSync(join(folder, 'part-000016-000023.mp4'));
    const gone = spawnSync('true').pid!; // a pid that has exited
    const lockOf = (host: string, pid: number) => JSON.stringify({ host, pid, started: '2026-01-01T00:00:00.000Z', what: 'shard 1/3 of x', nonce: `n${pid}${host}` });
    writeFileSync(join(folder, 'part-000016-000023.lock'), lockOf(hostname(), gone));
    writeFileSync(join(folder, 'part-000024-000031.lock'), lockOf('node-7.farm', 4242));
    // The other host's heartbeat is fresh: it is alive, and named.
    const busy = render(output, '--shard', '1/3');
    expect(busy.status).toBe(1);
    expect(oneLine(busy.stderr)).toMatch(/frames 24-31 are being rendered by shard 1\/3 of x \(pid 4242 on node-7\.farm, since 2026-01-01T00:00:00\.000Z\)/);
    // Its heartbeat a minute old: taken over.
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(folder, 'part-000024-000031.lock'), old, old);
    const r = render(output, '--shard', '1/3');
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(folder).filter((f) => f.includes('.lock'))).toEqual([]);
    expect(runCli(['join', output]).status).toBe(0);
    expect(frameMd5(output)).toEqual(reference);
  });

  it('-y with other settings does not clear a parts folder under a live writer: it names the writer and leaves every part', () => {
    const output = join(dir, 'overwrite-live.mp4');
    shards(output);
    const folder = `${output}.parts`;
    writeFileSync(join(folder, 'part-000040-000047.lock'), JSON.stringify({ host: 'node-9.farm', pid: 77, started: '2026-01-01T00:00:00.000Z', what: 'shard 2/3 of x', nonce: 'n77' }));
    const r = render(output, '--crf', '1', '-y');
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/holds parts of another render \(.*\) that shard 2\/3 of x \(pid 77 on node-9\.farm.*is still writing: stop it or let it finish/);
    expect(partsIn(output)).toHaveLength(6);
    rmSync(folder, { recursive: true });
  });

  it('join waits for parts a live writer holds, and names the writer', () => {
    const output = join(dir, 'held.mp4');
    shards(output);
    const folder = `${output}.parts`;
    rmSync(join(folder, 'part-000040-000047.mp4'));
    writeFileSync(join(folder, 'part-000040-000047.lock'), JSON.stringify({ host: 'node-9.farm', pid: 77, started: '2026-01-01T00:00:00.000Z', what: 'shard 2/3 of x', nonce: 'n77' }));
    const r = runCli(['join', output]);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/frames 40-47 \(part 5\) are still being rendered by shard 2\/3 of x \(pid 77 on node-9\.farm.*join with --wait/);
    rmSync(folder, { recursive: true });
  });

  it('an encoder killed with SIGKILL (as the OOM killer does) is named with its signal; parts stay; the same command finishes', async () => {
    // Larger frames and parts than the other tests', so that an encoder lives long enough to be found.
    const long = makeClip(join(dir, 'long.mp4'), { width: 256, height: 144, seconds: 4 });
    const args = [long, '--model', model, ...settings, '--part-frames', '32'];
    const single = join(dir, 'long-single.mp4');
    expect(runCli([...args, '-o', single]).status).toBe(0);
    const output = join(dir, 'oom.mp4');
    const child = spawn('node', [BIN, ...args, '-o', output, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // The encoder of a part after the first two: an ffmpeg child of the render writing a .partial file.
    let victim: number | undefined;
    while (victim === undefined && child.exitCode === null) {
      if (partsIn(output).length >= 1) {
        const line = spawnSync('pgrep', ['-a', '-P', String(child.pid)], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.includes('rawvideo') && l.includes('.partial-'));
        if (line) victim = Number(line.split(' ')[0]);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(victim, 'the render finished before its encoder could be found').toBeDefined();
    process.kill(victim!, 'SIGKILL');
    const status = await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(child.exitCode)));
    expect(status).toBe(1);
    expect(oneLine(stderr)).toMatch(new RegExp(`the encoder of part \\d+ \\(frames \\d+-\\d+\\) \\(ffmpeg, pid ${victim}\\) was killed by SIGKILL.*the \\d+ finished part\\(s\\) stay in .*oom\\.mp4\\.parts, and the same command continues from them`));
    const kept = partsIn(output).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(`${output}.parts`).filter((f) => f.includes('partial') || f.endsWith('.lock'))).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(ffmpegsOf(`${output}.parts`)).toBe('');
    const again = runCli([...args, '-o', output]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`resuming: ${kept} of 3 parts were already done`));
    expect(frameMd5(output)).toEqual(frameMd5(single));
  });

  it('a full file system (a 400 kB tmpfs): the disk named, with free and needed space; parts stay; after making room the same command finishes', (context) => {
    const where = join(dir, 'small-disk');
    if (!mounted(context, where, 'size=400k')) return;
    try {
      const output = join(where, 'full.mp4');
      const r = render(output, '--quiet');
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`the disk is full: ${where} has \\d+ kB free, and the render needs about [\\d.]+ (kB|MB) more: free some space there, then run the same command again`));
      expect(existsSync(output)).toBe(false);
      expect(readdirSync(where).filter((f) => f.includes('partial'))).toEqual([]);
      const kept = partsIn(output).length;
      spawnSync('mount', ['-o', 'remount,size=8m', where]);
      const again = render(output);
      expect(again.status, again.stderr).toBe(0);
      if (kept) expect(again.stderr).toMatch(new RegExp(`resuming: ${kept} of 6`));
      expect(frameMd5(output)).toEqual(reference);
    } finally {
      unmount(where);
    }
  });

  it('a disk that fills at the join (the parts fit, the joined file not): named as full, not as "Invalid data"; the join goes on once there is room', (context) => {
    const where = join(dir, 'join-disk');
    if (!mounted(context, where, 'size=700k')) return;
    try {
      const output = join(where, 'joined.mp4');
      shards(output);
      const r = runCli(['join', output]);
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`the disk is full: ${where} has \\d+ kB free, and the render needs about [\\d.]+ (kB|MB) more: .*the parts stay in .*joined\\.mp4\\.parts; run the same join again`));
      expect(readdirSync(where).filter((f) => f !== 'joined.mp4.parts')).toEqual([]);
      expect(partsIn(output)).toHaveLength(6);
      spawnSync('mount', ['-o', 'remount,size=8m', where]);
      expect(runCli(['join', output]).status).toBe(0);
      expect(frameMd5(output)).toEqual(reference);
    } finally {
      unmount(where);
    }
  });

  it('a read-only output folder is found before any frame is stylized', (context) => {
    const where = join(dir, 'read-only');
    if (!mounted(context, where, 'size=1m,ro')) return;
    try {
      const r = render(join(where, 'out.mp4'), '--json');
      expect(r.status).toBe(1);
      expect(r.stdout).not.toMatch(/"type":"start"/);
      expect(oneLine(r.stderr)).toMatch(/cannot write .*out\.mp4: the file system is read-only in .*read-only \(EROFS\): write the output elsewhere \(-o\)/);
    } finally {
      unmount(where);
    }
  });
});



describe('part locks', () => {
  it('many writers taking over one dead lock at once: exactly one wins, and the rest name it', async () => {
    const { lockParts } = await import('../src/parts/part-locks.js');
    // Two winners came in about 1 round of 200 when a dead lock was renamed aside (docs/farm-faults.md).
    for (let round = 0; round < 200; round++) {
      const folder = mkdtempSync(join(tmpdir(), 'sv-locks-'));
      const part = { index: 0, start: 0, end: 7 };
      const gone = spawnSync('true').pid!;
      writeFileSync(join(folder, 'part-000000-000007.lock'), JSON.stringify({ host: hostname(), pid: gone, started: 'then', what: 'a dead render', nonce: 'dead' }));
      const attempts = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => lockParts(folder, [part], `writer ${i}`)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const a of attempts) if (a.status === 'rejected') expect(String(a.reason)).toMatch(/frames 0-7 are being rendered by writer \d/);
      const holder = JSON.parse(readFileSync(join(folder, 'part-000000-000007.lock'), 'utf8'));
      expect(holder.what).toMatch(/^writer \d$/);
      // Nothing left but the lock: no hidden files, no dead locks moved aside.
      expect(readdirSync(folder)).toEqual(['part-000000-000007.lock']);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockParts>>>).value.release();
      expect(readdirSync(folder)).toEqual([]);
      rmSync(folder, { recursive: true });
    }
  });

  it('a writer that died part-way through a takeover leaves its marker: the next writers take both over, one wins', async () => {
    const { lockParts } = await import('../src/parts/part-locks.js');
    for (let round = 0; round < 50; round++) {
      const folder = mkdtempSync(join(tmpdir(), 'sv-locks-'));
      const gone = spawnSync('true').pid!;
      const lock = join(folder, 'part-000000-000007.lock');
      writeFileSync(lock, JSON.stringify({ host: hostname(), pid: gone, started: 'then', what: 'a dead render', nonce: 'dead' }));
      writeFileSync(`${lock}.takeover-dead`, JSON.stringify({ host: hostname(), pid: gone, started: 'then', what: 'a dead taker', nonce: 'taker' }));
      const attempts = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => lockParts(folder, [{ index: 0, start: 0, end: 7 }], `writer ${i}`)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(readdirSync(folder)).toEqual(['part-000000-000007.lock']);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockParts>>>).value.release();
      rmSync(folder, { recursive: true });
    }
  });
  const part0 = { index: 0, start: 0, end: 7 };
  const part1 = { index: 1, start: 8, end: 15 };
  const lockOf = (owner: object) => JSON.stringify({ started: 'then', what: 'another writer', ...owner });
  const minuteAgo = () => new Date(Date.now() - 60_000);

  it('many writers taking over a stale lock of another host at once: exactly one wins', async () => {
    const { lockParts } = await import('../src/parts/part-locks.js');
    for (let round = 0; round < 100; round++) {
      const folder = mkdtempSync(join(tmpdir(), 'sv-locks-'));
      const lock = join(folder, 'part-000000-000007.lock');
      writeFileSync(lock, lockOf({ host: 'node-7.farm', pid: 4242, nonce: 'stale' }));
      utimesSync(lock, minuteAgo(), minuteAgo());
      const attempts = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => lockParts(folder, [part0], `writer ${i}`)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(readdirSync(folder)).toEqual(['part-000000-000007.lock']);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockParts>>>).value.release();
      rmSync(folder, { recursive: true });
    }
  });

  it('a holder whose lock was taken over finds out before it puts a part in place, and its release leaves the new holder\'s lock', async () => {
    const { lockParts } = await import('../src/parts/part-locks.js');
    const folder = mkdtempSync(join(tmpdir(), 'sv-locks-'));
    const lock = join(folder, 'part-000000-000007.lock');
    const locks = await lockParts(folder, [part0], 'writer A');
    await locks.assertHeld();
    // What a takeover leaves: another writer's lock under the name (often with the old inode number).
    rmSync(lock);
    writeFileSync(lock, lockOf({ host: 'node-7.farm', pid: 4242, nonce: 'new holder' }));
    await expect(locks.assertHeld()).rejects.toThrow(/the lock .*part-000000-000007\.lock was taken over by another writer: two writers rendered the same parts/);
    await locks.release();
    expect(JSON.parse(readFileSync(lock, 'utf8')).nonce).toBe('new holder');
    rmSync(folder, { recursive: true });
  });

  it('keeps the heartbeat of the parts it holds while it waits for the next', async () => {
    const { HEARTBEAT_MS, lockParts } = await import('../src/parts/part-locks.js');
    const folder = mkdtempSync(join(tmpdir(), 'sv-locks-'));
    const [lock0, lock1] = ['part-000000-000007.lock', 'part-000008-000015.lock'].map((name) => join(folder, name));
    writeFileSync(lock1, lockOf({ host: 'node-7.farm', pid: 4242, nonce: 'busy' }));
    let settled = false;
    const waiting = lockParts(folder, [part0, part1], 'writer B', { waitSeconds: 60 }).finally(() => (settled = true));
    while (!existsSync(lock0) && !settled) await new Promise((r) => setTimeout(r, 10));
    utimesSync(lock0, minuteAgo(), minuteAgo());
    // Refreshed within a few heartbeats (slack for a loaded machine), while part 1 is still waited for.
    const until = Date.now() + 3 * HEARTBEAT_MS;
    while (Date.now() - statSync(lock0).mtimeMs > 30_000 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(Date.now() - statSync(lock0).mtimeMs).toBeLessThan(3 * HEARTBEAT_MS);
    expect(settled).toBe(false);
    rmSync(lock1);
    await (await waiting).release();
    expect(readdirSync(folder)).toEqual([]);
    rmSync(folder, { recursive: true });
  });

  /** Named as the holder while the lock's heartbeat is fresh; taken over once it is a minute old. */
  const namedThenTakenOver = async (content: string, holder: RegExp) => {
    const { lockParts } = await import('../src/parts/part-locks.js');
    const folder = mkdtempSync(join(tmpdir(), 'sv-locks-'));
    const lock = join(folder, 'part-000000-000007.lock');
    writeFileSync(lock, content);
    await expect(lockParts(folder, [part0], 'writer C')).rejects.toThrow(holder);
    utimesSync(lock, minuteAgo(), minuteAgo());
    await (await lockParts(folder, [part0], 'writer C')).release();
    expect(readdirSync(folder)).toEqual([]);
    rmSync(folder, { recursive: true });
  };

  it('a lock that cannot be read (empty after a crash) is named while fresh and taken over once stale', () =>
    namedThenTakenOver('', /frames 0-7 are being rendered by a writer whose lock cannot be read \(it counts as dead 30 s after its last change\)/));

  it('a pid is judged only in its own pid namespace (a container with the same host name): there the heartbeat decides', () =>
    namedThenTakenOver(
      lockOf({ host: hostname(), pidNamespace: 'pid:[1]', pid: spawnSync('true').pid!, nonce: 'container', what: 'a render in a container' }),
      /frames 0-7 are being rendered by a render in a container \(pid \d+ on /,
    ));

  it('a part writer whose lock was taken over puts no part and no record in place, and says why', async () => {
    const { startPartWriter } = await import('../src/parts/part-writer.js');
    const { prepareOutput } = await import('../src/output.js');
    const folder = mkdtempSync(join(tmpdir(), 'sv-writer-'));
    const partPath = join(folder, 'part-000000-000003.mp4');
    const reserve = () => prepareOutput(partPath, { input: join(folder, 'input.mp4'), overwrite: true });
    const taken = { assertHeld: async () => Promise.reject(new Error('the lock x was taken over by another writer')) };
    const writer = startPartWriter({ reserve } as never, [{ index: 0, start: 0, end: 3 }], { width: 32, height: 16, fps: { num: 24, den: 1 }, container: 'mp4', codec: 'h264', crf: 0 }, undefined, taken);
    for (let index = 0; index < 4; index++) await writer.write({ index, width: 32, height: 16, data: new Uint8Array(32 * 16 * 3).fill(index * 40) }, undefined as never);
    await expect(writer.finish()).rejects.toThrow(/taken over by another writer/);
    await writer.abort();
    expect(readdirSync(folder)).toEqual([]);
    rmSync(folder, { recursive: true });
  });
});
