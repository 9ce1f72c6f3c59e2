// Whether the Slurm test can run here, installing Slurm first where this machine allows it (root
// and apt-get, as CI has). Anything else is a reason to skip, which the test prints; CI sets
// STYLIZE_VIDEO_REQUIRE_SLURM=1 so that a Slurm that cannot start fails the run instead.
import { spawnSync } from 'node:child_process';

export type SlurmAvailability = { ok: true } | { ok: false; reason: string };

const TOOLS = ['munged', 'slurmctld', 'slurmd', 'sbatch'];
// The daemons live in sbin, which is not on every user's PATH.
const searchPath = () => [process.env.PATH ?? '', '/usr/sbin', '/sbin'].join(':');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: searchPath() } }).status === 0;
const missingTools = () => TOOLS.filter((tool) => !has(tool));

export function provisionSlurm(env: NodeJS.ProcessEnv = process.env): SlurmAvailability {
  if (env.STYLIZE_VIDEO_SKIP_SLURM === '1') return { ok: false, reason: 'on purpose: STYLIZE_VIDEO_SKIP_SLURM=1' };
  let missing = missingTools();
  if (!missing.length) return { ok: true };
  const install = 'slurm-wlm and munge (Debian/Ubuntu: apt-get install slurm-wlm munge)';
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    return { ok: false, reason: `${missing.join(', ')} not found, and installing needs root and apt-get: install ${install}` };
  }
  const apt = (...args: string[]) =>
    spawnSync('apt-get', args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt('update', '-qq');
  const installed = apt('install', '-y', '-qq', '--no-install-recommends', 'slurm-wlm', 'munge');
  missing = missingTools();
  if (installed.status !== 0 || missing.length) {
    const why = (installed.stderr || installed.error?.message || '').trim().split('\n').at(-1);
    return { ok: false, reason: `${missing.join(', ') || 'Slurm'} not found, and apt-get could not install ${install}${why ? `: ${why}` : ''}` };
  }
  return { ok: true };
}
