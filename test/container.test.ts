// The image that `plan --format k8s` names (Dockerfile), built the way CI can: from a Debian base made
// here (test/container/base.sh) with `podman build`. Containers cannot run on such machines, so the
// image runs without a runtime: its files are mounted (podman image mount) and the CLI started in
// them with chroot, as the image's own user, environment, working folder and entrypoint, with the
// folders a pod would mount (/data, the model cache at /cache). Its frames must equal the same render
// outside the image, frame for frame (lossless output, ffmpeg's framemd5).
// Where podman or debootstrap cannot be had, the test is skipped with its reason;
// STYLIZE_VIDEO_REQUIRE_CONTAINER=1 (CI) makes that a failure. STYLIZE_VIDEO_SKIP_CONTAINER=1 skips it on purpose.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ffmpegBinaries } from 'stylize-video';
import { makeClip, sharedModels, tempDir } from './helpers/media.js';
import { runCli } from './helpers/cli.js';
import { provisionContainerTools } from './container/provision.js';

const ROOT = join(import.meta.dirname, '..');
const required = process.env.STYLIZE_VIDEO_REQUIRE_CONTAINER === '1' && process.env.STYLIZE_VIDEO_SKIP_CONTAINER !== '1';
const BASE = 'localhost/stylize-video-base:test';
const IMAGE = 'localhost/stylize-video:test';
const STYLE_PICTURE = join(ROOT, '..', 'shared', 'styles', 'hokusai-great-wave.jpg');
const podmanEnv = { ...process.env, CONTAINERS_CONF: join(import.meta.dirname, 'container', 'containers.conf'), PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
const podman = (args: string[]) => execFileSync('podman', args, { encoding: 'utf8', env: podmanEnv, maxBuffer: 64 * 1024 ** 2 }).trim();

/** ffmpeg's MD5 of every decoded frame, without the header lines (which name the file). */
const frameMd5 = (path: string) =>
  execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-i', path, '-map', '0:v', '-f', 'framemd5', '-'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line && !line.startsWith('#'));

interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
}

describe('the container image', () => {
  let dir: string;
  let unavailable: string | undefined;
  let rootfs: string | undefined;
  let config: ImageConfig;

  beforeAll(() => {
    const availability = provisionContainerTools();
    if (!availability.ok) return void (unavailable = availability.reason);
    if (!sharedModels || !existsSync(STYLE_PICTURE)) return void (unavailable = `the wave and magenta models (../shared/models or STYLIZE_VIDEO_MODELS) or ${STYLE_PICTURE} are not here`);
    dir = tempDir('sv-container-');
    const base = spawnSync('bash', [join(import.meta.dirname, 'container', 'base.sh'), BASE], { encoding: 'utf8', env: podmanEnv });
    if (base.status !== 0) return void (unavailable = `could not build the base image (exit ${base.status}): ${base.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const started = Date.now();
    // --isolation=chroot: RUN steps without an OCI runtime, which sandboxes like CI's refuse. No
    // cache: podman 4.3 reuses a COPY --from layer even where the stage it copies from changed.
    const build = spawnSync('podman', ['build', '--isolation=chroot', '--no-cache', '--layers=false', '--build-arg', `BASE=${BASE}`, '-t', IMAGE, ROOT], { encoding: 'utf8', env: podmanEnv, maxBuffer: 64 * 1024 ** 2 });
    if (build.status !== 0) throw new Error(`podman build failed (exit ${build.status}):\n${(build.stdout + build.stderr).split('\n').slice(-30).join('\n')}`);
    const [inspected] = JSON.parse(podman(['image', 'inspect', IMAGE])) as Array<{ Size: number; Config: ImageConfig }>;
    config = inspected.Config;
    process.stdout.write(`container image ${IMAGE}: ${(inspected.Size / 1e6).toFixed(0)} MB, built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    rootfs = podman(['image', 'mount', IMAGE]);
  }, 900_000);

  afterAll(() => {
    if (rootfs) spawnSync('podman', ['image', 'unmount', IMAGE], { env: podmanEnv });
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!unavailable && process.env.STYLIZE_VIDEO_KEEP_IMAGE !== '1') spawnSync('podman', ['rmi', '--force', IMAGE, BASE], { env: podmanEnv });
  });

  /**
   * Runs the image's entrypoint with `args` as a container would: its user, environment and working
   * folder, /data and /cache bound to these host folders, /dev and /proc the host's, in a mount
   * namespace of its own so that nothing stays mounted.
   */
  function runInImage(args: string[], mounts: { data: string; cache: string; tmp: string }) {
    const [user, group] = (config.User ?? 'root').split(':');
    const entry = readFileSync(join(rootfs!, 'etc', 'passwd'), 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === user || f[2] === user);
    if (!entry) throw new Error(`the image's user ${user} is not in its /etc/passwd`);
    const [uid, gid, home] = [entry[2], group ?? entry[3], entry[5]];
    const script = `set -e; r=$1; shift
mount --rbind /dev "$r/dev"; mount --rbind /proc "$r/proc"
mount --bind "$SV_DATA" "$r/data"; mount --bind "$SV_CACHE" "$r/cache"; mount --bind "$SV_TMP" "$r/tmp"
exec chroot --userspec=${uid}:${gid} "$r" "$@"`;
    const inner = ['/usr/bin/env', '-i', `HOME=${home}`, ...(config.Env ?? []), 'sh', '-c', 'cd "$0" && exec "$@"', config.WorkingDir || '/', ...(config.Entrypoint ?? []), ...args];
    return spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', rootfs!, ...inner], {
      encoding: 'utf8',
      env: { ...process.env, SV_DATA: mounts.data, SV_CACHE: mounts.cache, SV_TMP: mounts.tmp },
    });
  }

  /** A folder the image's user (who owns /data and /cache in it) may write. */
  function ownedByImageUser(path: string) {
    mkdirSync(path, { recursive: true });
    const [uid, gid] = [Number(execFileSync('stat', ['-c', '%u', join(rootfs!, 'data')], { encoding: 'utf8' })), Number(execFileSync('stat', ['-c', '%g', join(rootfs!, 'data')], { encoding: 'utf8' }))];
    // Copies of ../shared keep its read-only modes: the owner gets to write, as in a fresh volume.
    const own = (p: string, isFolder: boolean) => {
      chownSync(p, uid, gid);
      chmodSync(p, isFolder ? 0o755 : 0o644);
      if (isFolder) for (const entry of readdirSync(p, { withFileTypes: true })) own(join(p, entry.name), entry.isDirectory());
    };
    own(path, true);
    return path;
  }

  it('renders a clip with a built-in style, a clip with a catalogue style from the model cache volume, and a frame with a picture style, as outside the image', (context) => {
    if (unavailable) {
      if (required) throw new Error(`${unavailable} (STYLIZE_VIDEO_REQUIRE_CONTAINER=1: this test must run)`);
      return context.skip(unavailable);
    }
    // What a pod mounts: the media folder, and the model cache holding the files a download would put there.
    const data = join(dir, 'data');
    mkdirSync(data);
    const clip = makeClip(join(data, 'clip.mp4'), { width: 160, height: 96, seconds: 1 });
    copyFileSync(STYLE_PICTURE, join(data, 'style.jpg'));
    execFileSync(ffmpegBinaries().ffmpeg, ['-v', 'error', '-i', clip, '-vf', 'select=eq(n\\,10)', '-frames:v', '1', join(data, 'frame.png')]);
    const cache = join(dir, 'cache');
    for (const style of ['wave', 'magenta']) cpSync(join(sharedModels!, style), join(cache, 'stylize-video', 'models', style), { recursive: true });
    const outsideCache = join(dir, 'outside-cache');
    cpSync(cache, outsideCache, { recursive: true });
    const mounts = { data: ownedByImageUser(data), cache: ownedByImageUser(cache), tmp: ownedByImageUser(join(dir, 'tmp')) };

    const renders = [
      // the default, built in: the package's own picture and Magenta files, nothing downloaded
      { name: 'hokusai.mp4', args: ['clip.mp4', '--style', 'hokusai', '--frames', '0-11'], frames: 12 },
      { name: 'wave.mp4', args: ['clip.mp4', '--style', 'wave'], frames: 24 },
      { name: 'still.png', args: ['frame.png', '--style', 'style.jpg'], frames: 1 },
    ];
    for (const { name, args, frames } of renders) {
      const common = [...args, '--codec', 'h264', '--crf', '0', '--concurrency', '2', '-q'];
      const inside = runInImage([...common, '-o', name], mounts);
      expect(inside.status, `inside the image: ${inside.stderr}`).toBe(0);
      // The same render outside: the sources, the host's Node, the npm ffmpeg, a cache of the same files.
      const outside = runCli([...common.map((a) => (a === 'clip.mp4' || a === 'frame.png' || a === 'style.jpg' ? join(data, a) : a)), '-o', join(dir, name)], { XDG_CACHE_HOME: outsideCache, STYLIZE_VIDEO_MODELS: '' });
      expect(outside.status, `outside the image: ${outside.stderr}`).toBe(0);
      const [a, b] = [frameMd5(join(data, name)), frameMd5(join(dir, name))];
      expect(a.length).toBe(frames);
      expect(a).toEqual(b);
    }
    // The image's user wrote to the cache volume: the Magenta transformer, converted to ONNX once.
    expect(readdirSync(join(cache, 'stylize-video', 'models', 'magenta')).filter((f) => f.endsWith('.onnx'))).toHaveLength(1);
  });
});

describe('plan --format k8s', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('sv-k8s-');
    makeClip(join(dir, 'clip.mp4'), { width: 1920, height: 1080, seconds: 1, audio: false });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const plan = (extra: string[]) => {
    const r = runCli(['plan', join(dir, 'clip.mp4'), '-o', join(dir, 'out', 'clip.wave.mp4'), '--shards', '2', '--part-frames', '12', '--format', 'k8s', ...extra]);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split(/^---$/m).map((doc) => parseYaml(doc));
  };

  it('names the image, mounts the media and the model cache, requests the memory a 1080p render measured, and retries a failed pod on its own', () => {
    const [shards, joiner] = plan(['--image', 'registry.example/stylize-video:0.1.0', '--claim', 'renders', '--models-claim', 'sv-models', '--cpus', '2']);
    expect(shards).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed', completions: 2, parallelism: 2 } });
    // Kubernetes accepts backoffLimitPerIndex with restartPolicy Never only.
    expect(shards.spec.backoffLimitPerIndex).toBeGreaterThan(0);
    const pod = shards.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [container] = pod.containers;
    expect(container.image).toBe('registry.example/stylize-video:0.1.0');
    expect(joiner.spec.template.spec.containers[0].image).toBe('registry.example/stylize-video:0.1.0');
    expect(container.command).toEqual(expect.arrayContaining(['--shard', 'auto/2', '--concurrency', '2']));
    // The deepest folder holding input and output, from the claim; the model cache where the image keeps it.
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    const mounted = Object.fromEntries(container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, volumes[m.name]]));
    expect(mounted[dir].persistentVolumeClaim.claimName).toBe('renders');
    expect(mounted['/cache'].persistentVolumeClaim.claimName).toBe('sv-models');
    expect(container.env).toContainEqual({ name: 'XDG_CACHE_HOME', value: '/cache' });
    // The Dockerfile keeps the cache at the same place.
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^ENV XDG_CACHE_HOME=\/cache\b/m);
    // One ONNX Runtime session peaks at about 800 MB on 1080p frames (src/stylize/stylizer.ts): the request holds it.
    const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)![1]) * 1024 ** 2;
    expect(mib(container.resources.requests.memory)).toBeGreaterThan(800e6);
    expect(mib(container.resources.limits.memory)).toBeGreaterThan(mib(container.resources.requests.memory));
    expect(container.resources.requests.cpu).toBe('2');
  });

  it('refuses input and output that share no folder but /, which a pod cannot mount over', () => {
    const r = runCli(['plan', join(dir, 'clip.mp4'), '-o', '/clip.wave.mp4', '--shards', '2', '--part-frames', '12', '--format', 'k8s']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/share no folder but \/.*--mount-path/);
  });

  it('gives each pod a model cache of its own without --models-claim', () => {
    const [shards] = plan([]);
    const pod = shards.spec.template.spec;
    expect(pod.containers[0].image).toBe('stylize-video:latest');
    expect(pod.volumes.find((v: { name: string }) => v.name === 'models')).toEqual({ name: 'models', emptyDir: {} });
  });
});
