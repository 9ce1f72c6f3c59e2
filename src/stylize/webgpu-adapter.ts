// Which GPU ONNX Runtime's WebGPU engine (Dawn) would run on. onnxruntime-node does not report its
// adapter, so a child process opens a WebGPU session on a one-convolution graph with the Vulkan
// loader's driver log on, which lists the physical devices by name (see docs/gpu.md). A child, so
// that a driver that crashes or hangs takes only the probe with it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

let probed: Promise<WebGpuAdapter> | undefined;

/** The adapter, once a process; rejects with the reason where WebGPU does not run (no Vulkan driver, no adapter, onnxruntime-node missing). */
export function probeWebGpu(timeoutMs = 60_000): Promise<WebGpuAdapter> {
  probed ??= (async () => {
    ensureRuntimeDir();
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
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
  })();
  return probed;
}
