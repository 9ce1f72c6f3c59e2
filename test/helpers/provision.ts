// Whether the tools a test needs are here, installing them first where this machine allows it
// (root and apt-get, as CI has). Anything else is a reason to skip, which the test prints; CI sets
// the test's REQUIRE variable so that a tool that cannot be had fails the run instead.
import { spawnSync } from 'node:child_process';

export type Availability = { ok: true } | { ok: false; reason: string };

export interface ToolSpec {
  /** commands that must be found, on PATH or in sbin */
  tools: string[];
  /** the Debian packages that bring them */
  packages: string[];
  /** `STYLIZE_VIDEO_SKIP_...`: set to 1, the test is skipped on purpose */
  skipVariable: string;
  /** why the test needs root whatever is installed, if it does */
  needsRoot?: string;
}

// Daemons and debootstrap live in sbin, which is not on every user's PATH.
const searchPath = () => [process.env.PATH ?? '', '/usr/sbin', '/sbin'].join(':');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: searchPath() } }).status === 0;

export function provisionTools(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): Availability {
  if (env[spec.skipVariable] === '1') return { ok: false, reason: `on purpose: ${spec.skipVariable}=1` };
  const root = process.getuid?.() === 0;
  if (spec.needsRoot && !root) return { ok: false, reason: spec.needsRoot };
  const missingTools = () => spec.tools.filter((tool) => !has(tool));
  let missing = missingTools();
  if (!missing.length) return { ok: true };
  const install = `${spec.packages.join(' and ')} (Debian/Ubuntu: apt-get install ${spec.packages.join(' ')})`;
  if (!root || !has('apt-get')) {
    return { ok: false, reason: `${missing.join(', ')} not found, and installing needs root and apt-get: install ${install}` };
  }
  const apt = (...args: string[]) =>
    spawnSync('apt-get', args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt('update', '-qq');
  const installed = apt('install', '-y', '-qq', '--no-install-recommends', ...spec.packages);
  missing = missingTools();
  if (installed.status !== 0 || missing.length) {
    const why = (installed.stderr || installed.error?.message || '').trim().split('\n').at(-1);
    return { ok: false, reason: `${missing.join(', ') || spec.tools.join(', ')} not found, and apt-get could not install ${install}${why ? `: ${why}` : ''}` };
  }
  return { ok: true };
}
