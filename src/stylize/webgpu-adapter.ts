// Which GPU ONNX Runtime's WebGPU engine (Dawn) would run on. onnxruntime-node does not report its
// adapter, so a child process opens a WebGPU session on a one-convolution graph with the Vulkan
// loader's driver log on, which lists the physical devices by name (see docs/gpu.md). A child, so
// that a driver that crashes or hangs takes only the probe with it. The answer is kept in the cache
// beside the models, keyed by what decides it (drivers, GPU device nodes, ONNX Runtime's version),
// as the probe costs a second or two and auto asks on every run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { modelCacheDir } from './model-store.js';
import { GraphBuilder, intsAttribute, modelBytes } from './onnx-proto.js';

export interface WebGpuAdapter {
  /** the device the engine runs on, as the driver names it ('unknown' where no Vulkan loader log says) */
  name: string;
  /** a renderer on the CPU (lavapipe/llvmpipe, SwiftShader, WARP): correct, but slower than ONNX Runtime's CPU engine */
  software: boolean;
  /** every device the Vulkan loader listed */
  devices: string[];
}

/** Names of software renderers, as their drivers report them. */
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

/** Vulkan warns on every call without a runtime folder; a private one for this process and its children. */
export function ensureRuntimeDir(): void {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'stylize-video-xdg-'));
}

/** A 3x3 convolution of ones over a 4x4 plane of ones, padded by one: a compiled shader, with a known answer (9 inside). */
function probeModel(): Uint8Array {
  const g = new GraphBuilder();
  const y = g.op('Conv', ['x', g.constant([1, 1, 3, 3], new Float32Array(9).fill(1))], [intsAttribute('pads', [1, 1, 1, 1])]);
  return modelBytes(g.graph('probe', [['x', [1, 1, 4, 4]]], [[y, [1, 1, 4, 4]]]));
}

const CHILD = `
const ort = require(process.argv[1]);
const model = Buffer.from(process.argv[2], 'base64');
(async () => {
  try {
    const s = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 1, 4, 4]) });
    process.stdout.write(JSON.stringify({ centre: out[s.outputNames[0]].data[5] }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: String(err.message ?? err) }));
  }
})();`;

/** The device names in the Vulkan loader's "Sorted order" list. */
export function loaderDevices(log: string): string[] {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => /Sorted order:/.test(l));
  if (start < 0) return [];
  const devices: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /\[\d+\]\s+(.*\S)\s*$/.exec(line);
    if (!m) break;
    devices.push(m[1]);
  }
  return devices;
}

/**
 * Dawn asks for a high-performance adapter: a real GPU ranks before a CPU renderer, so the engine
 * runs on the first real device listed, or on a software one where there is nothing else.
 */
export function chooseAdapter(devices: string[]): WebGpuAdapter {
  const real = devices.find((d) => !SOFTWARE.test(d));
  const name = real ?? devices[0] ?? 'unknown';
  return { name, software: real === undefined && devices.length > 0, devices };
}

/** The first line of Dawn's or ONNX Runtime's error, without its source path. */
const reason = (text: string) => text.split('\n')[0].replace(/^.*?(was false\.|\] )\s*/, '').trim();

/** Where the Vulkan loader looks for drivers (its documented search path, less the rarely used). */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', join(homedir(), '.local/share/vulkan/icd.d'), ...(process.env.XDG_DATA_DIRS ?? '').split(':').filter(Boolean).map((d) => join(d, 'vulkan/icd.d'))];
const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];

const listing = (dir: string) => {
  try {
    return readdirSync(dir).map((f) => `${dir}/${f}:${statSync(join(dir, f)).mtimeMs}`);
  } catch {
    return [];
  }
};

/** Linux without the Vulkan loader: WebGPU cannot run, and no probe is needed to say so. */
function noVulkanLoader(): boolean {
  return process.platform === 'linux' && !LOADER_DIRS.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

/** What the probe's answer depends on: drivers installed, GPU device nodes, the engine's version. */
function fingerprint(ortPath: string): string {
  const ortVersion = (() => {
    try {
      return JSON.parse(readFileSync(join(dirname(ortPath), '..', 'package.json'), 'utf8')).version as string;
    } catch {
      return ortPath;
    }
  })();
  const env = Object.entries(process.env).filter(([k]) => /^(VK_|DRI_|MESA_|LIBGL_|__GLX|LD_LIBRARY_PATH$)/.test(k)).sort();
  const devices = ['/dev/dri', '/dev'].flatMap((d) => listing(d).filter((e) => /\/dev\/(dri\/|nvidia|kfd)/.test(e)).map((e) => e.split(':')[0]));
  return JSON.stringify({ ortVersion, platform: process.platform, arch: process.arch, env, icds: ICD_DIRS.flatMap(listing), devices });
}

const cacheFile = () => join(dirname(modelCacheDir()), 'webgpu-adapter.json');

type Answer = { adapter: WebGpuAdapter } | { error: string };

async function cached(key: string): Promise<Answer | undefined> {
  try {
    const stored = JSON.parse(await readFile(cacheFile(), 'utf8'));
    return stored.key === key ? stored.answer : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all; a cache that cannot be written costs a probe next time, not the render. */
async function remember(key: string, answer: Answer): Promise<void> {
  const file = cacheFile();
  const staging = `${file}.${process.pid}`;
  await mkdir(dirname(file), { recursive: true })
    .then(() => writeFile(staging, JSON.stringify({ key, answer })))
    .then(() => rename(staging, file))
    .catch(() => undefined);
}

/** A clear answer (an adapter, or none to be had), worth keeping; a crash or a timeout is asked again next time. */
const LASTING = /No supported adapters|Failed to get a WebGPU adapter|Found no drivers/;

let probed: Promise<WebGpuAdapter> | undefined;

/** The adapter, once a process; rejects with the reason where WebGPU does not run (no Vulkan driver, no adapter, onnxruntime-node missing). */
export function probeWebGpu(timeoutMs = 60_000): Promise<WebGpuAdapter> {
  probed ??= (async () => {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    if (noVulkanLoader()) throw new Error('Failed to get a WebGPU adapter: Found no drivers (no libvulkan.so.1)');
    const key = fingerprint(ortPath);
    const known = await cached(key);
    if (known) {
      if ('error' in known) throw new Error(known.error);
      return known.adapter;
    }
    let adapter: WebGpuAdapter;
    try {
      adapter = await runProbe(ortPath, timeoutMs);
    } catch (err) {
      const message = (err as Error).message;
      if (LASTING.test(message)) await remember(key, { error: message });
      throw err;
    }
    await remember(key, { adapter });
    return adapter;
  })();
  return probed;
}

async function runProbe(ortPath: string, timeoutMs: number): Promise<WebGpuAdapter> {
  ensureRuntimeDir();
  const child = spawn(process.execPath, ['-e', CHILD, ortPath, Buffer.from(probeModel()).toString('base64')], {
    env: { ...process.env, VK_LOADER_DEBUG: 'info,driver' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  let result: { centre?: number; error?: string };
  try {
    result = JSON.parse(stdout);
  } catch {
    throw new Error(`the WebGPU probe ended without an answer (exit ${code}${child.signalCode ? `, ${child.signalCode}` : ''})`);
  }
  if (result.error) throw new Error(reason(result.error));
  if (result.centre !== 9) throw new Error(`the WebGPU adapter computed a test convolution wrongly (${result.centre} for 9)`);
  return chooseAdapter(loaderDevices(stderr));
}
