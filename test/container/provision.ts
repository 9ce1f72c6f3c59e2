// Whether the container test can run here, installing podman and debootstrap first where this
// machine allows it (root and apt-get, as CI has). Anything else is a reason to skip, which the test
// prints; CI sets STYLIZE_VIDEO_REQUIRE_CONTAINER=1 so that a missing tool fails the run instead.
import { spawnSync } from 'node:child_process';

export type ContainerAvailability = { ok: true } | { ok: false; reason: string };

const TOOLS = ['podman', 'debootstrap', 'chroot', 'unshare'];
// debootstrap and chroot live in sbin, which is not on every user's PATH.
const searchPath = () => [process.env.PATH ?? '', '/usr/sbin', '/sbin'].join(':');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: searchPath() } }).status === 0;
const missingTools = () => TOOLS.filter((tool) => !has(tool));

export function provisionContainerTools(env: NodeJS.ProcessEnv = process.env): ContainerAvailability {
  if (env.STYLIZE_VIDEO_SKIP_CONTAINER === '1') return { ok: false, reason: 'on purpose: STYLIZE_VIDEO_SKIP_CONTAINER=1' };
  // Mounting the image and chroot into it need root, whatever is installed.
  if (process.getuid?.() !== 0) return { ok: false, reason: 'building the image from a debootstrap base and running it with chroot needs root' };
  let missing = missingTools();
  if (!missing.length) return { ok: true };
  const install = 'podman and debootstrap (Debian/Ubuntu: apt-get install podman debootstrap)';
  if (!has('apt-get')) return { ok: false, reason: `${missing.join(', ')} not found, and installing needs apt-get: install ${install}` };
  const apt = (...args: string[]) =>
    spawnSync('apt-get', args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt('update', '-qq');
  const installed = apt('install', '-y', '-qq', '--no-install-recommends', 'podman', 'debootstrap');
  missing = missingTools();
  if (installed.status !== 0 || missing.length) {
    const why = (installed.stderr || installed.error?.message || '').trim().split('\n').at(-1);
    return { ok: false, reason: `${missing.join(', ') || 'podman'} not found, and apt-get could not install ${install}${why ? `: ${why}` : ''}` };
  }
  return { ok: true };
}
