#!/usr/bin/env node
// Many writers taking over one dead part lock at the same moment: does exactly one win every round,
// and is nothing left beside the lock? node scripts/lock-race.js [--rounds 2000] [--writers 6]
// [--dead gone-pid|stale-host|dead-marker] [--processes] [--dist dist]
// In one process the writers interleave at every await; with --processes each is its own node
// process, started to the same millisecond. Uses dist/ (`npm run build` first), or --dist, to
// measure another build (docs/farm-faults.md, One writer per part).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuModel } from './process-memory.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2000' },
    writers: { type: 'string', default: '6' },
    dead: { type: 'string', default: 'gone-pid' },
    processes: { type: 'boolean', default: false },
    dist: { type: 'string', default: join(import.meta.dirname, '..', 'dist') },
    // a child's part: lock at this time, hold, release
    child: { type: 'string' },
    at: { type: 'string' },
  },
});
const { lockParts } = await import(pathToFileURL(join(resolve(args.dist), 'parts', 'part-locks.js')).href);
const part = { index: 0, start: 0, end: 7 };
const LOCK = 'part-000000-000007.lock';

if (args.child) {
  while (Date.now() < Number(args.at)) {
    // spin to the agreed millisecond
  }
  try {
    const locks = await lockParts(args.child, [part], `writer ${process.pid}`);
    process.stdout.write('won\n');
    await new Promise((r) => setTimeout(r, 300));
    await locks.release();
  } catch {
    process.stdout.write('lost\n');
  }
  process.exit(0);
}

/** A folder holding the dead lock this round is about. */
function deadLockFolder() {
  const folder = mkdtempSync(join(tmpdir(), 'sv-lock-race-'));
  const lock = join(folder, LOCK);
  const gone = spawnSync('true').pid;
  const host = args.dead === 'stale-host' ? 'node-7.farm' : hostname();
  writeFileSync(lock, JSON.stringify({ host, pid: gone, started: 'then', what: 'a dead render', nonce: 'dead' }));
  if (args.dead === 'stale-host') utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  if (args.dead === 'dead-marker') writeFileSync(`${lock}.takeover-dead`, JSON.stringify({ host, pid: gone, started: 'then', what: 'a dead taker', nonce: 'taker' }));
  return folder;
}

async function inProcess(folder, writers) {
  const attempts = await Promise.allSettled(Array.from({ length: writers }, (_, i) => lockParts(folder, [part], `writer ${i}`)));
  const won = attempts.filter((a) => a.status === 'fulfilled').map((a) => a.value);
  const left = readdirSync(folder);
  for (const locks of won) await locks.release();
  return { winners: won.length, left };
}

async function inProcesses(folder, writers) {
  const at = Date.now() + 700;
  const said = await Promise.all(
    Array.from({ length: writers }, () => new Promise((done) => {
      let out = '';
      const child = spawn(process.execPath, [import.meta.filename, '--dist', args.dist, '--child', folder, '--at', String(at)]);
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => done(out.trim()));
    })),
  );
  return { winners: said.filter((s) => s === 'won').length, left: readdirSync(folder) };
}

const rounds = Number(args.rounds);
const writers = Number(args.writers);
let notOne = 0;
let leftovers = 0;
for (let round = 0; round < rounds; round++) {
  const folder = deadLockFolder();
  const { winners, left } = await (args.processes ? inProcesses : inProcess)(folder, writers);
  if (winners !== 1) notOne++;
  // In one process the winner still holds its lock when the folder is read; processes have released theirs.
  if (left.some((name) => name !== LOCK) || (args.processes && left.length)) leftovers++;
  rmSync(folder, { recursive: true });
}
console.log(`${cpuModel()}; ${args.dist}; ${writers} writers ${args.processes ? 'in processes' : 'in one process'}, a dead lock (${args.dead}), ${rounds} rounds: ${notOne} without exactly one winner, ${leftovers} with files left beside the lock`);
