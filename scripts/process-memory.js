// Resident memory of a process tree from /proc (Linux): the scripts that measure memory share it.
import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory of a process and all its descendants (inference processes, ffmpeg), in MB. */
export function treeRssMB(root) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone already
    }
  }
  let total = 0;
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop();
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      continue;
    }
    for (const [child, parent] of parents) if (parent === pid) pending.push(child);
  }
  return total / 1024;
}

/** Resident memory of one process alone, in MB (0 once it is gone). */
export function rssMB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The CPU's model name, to go with any figure of speed or memory. */
export const cpuModel = () => /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
