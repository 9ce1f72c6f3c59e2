// ONNX Runtime's WebGPU engine against its CPU engine, on every network the product runs there, and
// a CLI render on `--backend gpu` against the same render on `--backend onnx`. In CI the adapter is
// lavapipe (Mesa's Vulkan on the CPU: slow, so sizes are small); where no Vulkan adapter exists the
// tests are skipped with the reason, unless STYLIZE_VIDEO_REQUIRE_WEBGPU=1 (set by .ci/run).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/stylize/backend.js';
import { gpuFault, withGpuRetries } from '../src/stylize/gpu-faults.js';
import { magentaOnnx, TRANSFORMER } from '../src/stylize/magenta.js';
import { loadModelWeights } from '../src/stylize/model-files.js';
import { onnxModel } from '../src/stylize/onnx-model.js';
import { loadOnnxRuntime, WEBGPU_SESSION } from '../src/stylize/onnx-net.js';
import { chooseAdapter, loaderDevices, probeWebGpu, type WebGpuAdapter } from '../src/stylize/webgpu-adapter.js';
import { runCli } from './helpers/cli.js';
import { makeClip, psnr, readAllFrames, sharedModels, tempDir } from './helpers/media.js';

const required = process.env.STYLIZE_VIDEO_REQUIRE_WEBGPU === '1';
const styles = join(import.meta.dirname, '..', '..', 'shared', 'styles');
const stylePicture = join(styles, 'hokusai-great-wave.jpg');

// A cache of this test's own: the probe's answer and Magenta's converted graph, shared by the renders.
process.env.XDG_CACHE_HOME = tempDir('sv-webgpu-cache-');

let adapter: WebGpuAdapter | undefined;
let unavailable = '';
try {
  adapter = await probeWebGpu();
} catch (err) {
  unavailable = `no WebGPU adapter (${(err as Error).message}): install a Vulkan driver (Mesa 25's lavapipe: apt-get install -t bookworm-backports mesa-vulkan-drivers)`;
  if (required) throw new Error(`${unavailable} (STYLIZE_VIDEO_REQUIRE_WEBGPU=1: these tests must run)`);
}

describe('the adapter and its faults, read from text', () => {
  it("lists the Vulkan loader's devices and prefers a real GPU over a software renderer", () => {
    const log = ['INFO | DRIVER:         Original order:', 'INFO | DRIVER:               [0] llvmpipe (LLVM 15.0.6, 256 bits)', 'INFO | DRIVER:         Sorted order:',
      'INFO | DRIVER:               [0] llvmpipe (LLVM 15.0.6, 256 bits)  ', 'INFO | DRIVER:               [1] NVIDIA H200', 'INFO | DRIVER:    linux_read_sorted_physical_devices:'].join('\n');
    expect(loaderDevices(log)).toEqual(['llvmpipe (LLVM 15.0.6, 256 bits)', 'NVIDIA H200']);
    expect(chooseAdapter(loaderDevices(log))).toMatchObject({ name: 'NVIDIA H200', software: false });
    expect(chooseAdapter(['SwiftShader Device (Subzero)'])).toMatchObject({ software: true });
    expect(chooseAdapter([])).toMatchObject({ name: 'unknown', software: false });
  });

  it('retries a batch in halves when the GPU is out of memory, and gives one line for the other faults', async () => {
    const frames = Array.from({ length: 4 }, (_, i) => ({ width: 8, height: 8, i }));
    const calls: number[] = [];
    const limit = { batch: 4 };
    const out = await withGpuRetries(frames, async (f) => {
      calls.push(f.length);
      if (f.length > 1) throw new Error('WebGPU buffer allocation failed: Out of memory');
      return f.map((x) => x.i);
    }, limit);
    expect(out).toEqual([0, 1, 2, 3]);
    expect(calls).toEqual([4, 2, 1, 1, 1, 1]);
    expect(limit.batch).toBe(1);
    expect(gpuFault('WebGPU device lost (2): Device was destroyed')).toBe('lost');
    await expect(withGpuRetries(frames, async () => { throw new Error('inference failed: Error while parsing WGSL'); }, { batch: 4 })).rejects.toThrow(/could not compile.*--backend onnx/);
    await expect(withGpuRetries(frames, async () => { throw new Error('inference worker exited with code null'); }, { batch: 4 })).rejects.toThrow(/adapter was lost.*resume/);
  });
});

describe.skipIf(!adapter)(`the WebGPU engine against the CPU engine (${unavailable || adapter?.name})`, () => {
  // A pattern with edges and flat areas, as float 0..255 NHWC.
  const H = 64;
  const W = 96;
  const frame = Float32Array.from({ length: H * W * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    const x = p % W;
    const y = Math.floor(p / W);
    return (((x >> 3) + (y >> 3)) % 2 ? 200 : 40) + 50 * Math.sin(x * 0.21 + (i % 3)) * Math.cos(y * 0.17);
  });

  /** The largest difference between the engines on the 0..1 output. */
  async function engineDifference(model: Uint8Array, extra: Record<string, { data: Float32Array; dims: number[] }> = {}, batch = 1): Promise<number> {
    const ort = await loadOnnxRuntime() as unknown as { InferenceSession: { create(m: Uint8Array, o: object): Promise<{ run(f: object): Promise<Record<string, { data: Float32Array }>> }> }; Tensor: new (t: string, d: Float32Array, dims: number[]) => object };
    const input = new Float32Array(frame.length * batch);
    for (let n = 0; n < batch; n++) input.set(frame.map((v) => Math.min(255, v * (1 - 0.2 * n))), n * frame.length);
    const feeds = () => ({ rgb: new ort.Tensor('float32', input, [batch, H, W, 3]), ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])) });
    const cpu = (await (await ort.InferenceSession.create(model, {})).run(feeds())).stylized.data;
    const gpu = (await (await ort.InferenceSession.create(model, WEBGPU_SESSION)).run(feeds())).stylized.data;
    expect(gpu.length).toBe(cpu.length);
    let worst = 0;
    for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i] - gpu[i]) / 255);
    return worst;
  }

  it.skipIf(!sharedModels)('a catalogue TransformerNet (wave), a batch of 2 at 64x96: within 1e-3', async () => {
    const weights = await loadModelWeights(join(sharedModels!, 'wave'), 'wave');
    expect(await engineDifference(onnxModel(weights), {}, 2)).toBeLessThan(1e-3);
  }, 300_000); // lavapipe is slow, the more so on a shared machine (docs/gpu.md)

  it.skipIf(!sharedModels || !existsSync(join(sharedModels!, 'magenta', TRANSFORMER)))("Magenta's picture-style transformer at 64x96: within 1e-3", async () => {
    process.env.STYLIZE_VIDEO_MODELS = sharedModels;
    const vector = { data: Float32Array.from({ length: 100 }, (_, i) => 0.6 * Math.cos(i * 1.3)), dims: [1, 1, 1, 100] };
    expect(await engineDifference(await magentaOnnx(TRANSFORMER), { style_vector: vector })).toBeLessThan(1e-3);
  }, 300_000); // lavapipe is slow, the more so on a shared machine (docs/gpu.md)

  it('auto passes over a software adapter for the CPU engine, and says which adapter and why', async () => {
    const info = await initBackend('auto');
    if (adapter!.software) {
      expect(info.name).not.toBe('gpu');
      expect(info.skipped.join('; ')).toContain(`gpu: the WebGPU adapter is ${adapter!.name}, a software renderer`);
    } else {
      expect(info).toMatchObject({ name: 'gpu', adapter: adapter!.name });
    }
  });
});

describe.skipIf(!adapter || !sharedModels)(`a render on --backend gpu against the CPU render (${unavailable || 'needs ../shared/models'})`, () => {
  let dir: string;
  let clip: string;
  beforeAll(() => {
    dir = tempDir('sv-webgpu-');
    clip = makeClip(join(dir, 'clip.mp4'), { width: 64, height: 48, seconds: 0.25, fps: 8, audio: false });
  });

  /** Renders on both engines, lossless, and gives the worst frame's PSNR between them. */
  async function renders(style: string): Promise<number> {
    const env = { STYLIZE_VIDEO_MODELS: sharedModels!, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
    const frames = [];
    for (const backend of ['gpu', 'onnx']) {
      const output = join(dir, `${backend}-${style.replace(/\W/g, '')}.mp4`);
      const r = runCli([clip, '--style', style, '--backend', backend, '--crf', '0', '--concurrency', '1', '-o', output, '--verbose'], env);
      expect(r.status, r.stderr).toBe(0);
      if (backend === 'gpu') expect(r.stderr).toMatch(/backend gpu on \S/);
      frames.push(await readAllFrames(output));
    }
    const [gpu, cpu] = frames;
    expect(gpu.length).toBe(cpu.length);
    expect(gpu.length).toBeGreaterThan(1);
    return Math.min(...gpu.map((f, i) => psnr(f.data, cpu[i].data)));
  }

  it('a catalogue style: every frame at least 45 dB from the CPU render', async () => {
    expect(await renders('wave')).toBeGreaterThanOrEqual(45);
  }, 180_000);

  it.skipIf(!existsSync(stylePicture))('a picture style: every frame at least 45 dB from the CPU render', async () => {
    expect(await renders(stylePicture)).toBeGreaterThanOrEqual(45);
  }, 180_000);
});

