// The network on ONNX Runtime's CPU engine. onnxruntime-node runs inference on the calling
// thread, so the pool gives it a process of its own and the main thread stays free to decode,
// blend and encode.
import { rgbBytes, type RgbFrame } from '../frame.js';
import type { ModelWeights } from './model-files.js';
import { onnxModel, type Int8Settings } from './onnx-model.js';

// The part of onnxruntime-node used here. The package is optional, so its types may be absent.
interface OrtTensor {
  data: unknown;
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

// A variable keeps TypeScript from resolving the optional package at compile time.
const ORT_PACKAGE: string = 'onnxruntime-node';

export async function loadOnnxRuntime(): Promise<Ort> {
  const module = (await import(ORT_PACKAGE)) as Ort & { default?: Ort };
  return module.default ?? module;
}

/** Index into a padded axis: reflection, or symmetric where the axis is too short to reflect. */
function mirror(i: number, size: number, symmetric: boolean): number {
  if (i < size) return i;
  return symmetric ? Math.max(0, 2 * size - 1 - i) : 2 * size - 2 - i;
}

/**
 * A graph that is not built from TransformerNet weights (Magenta's converted transformer): its
 * bytes, with input `rgb` and output `stylized` as OnnxNet expects, and constant feeds for its
 * other inputs (the style vector).
 */
export interface OnnxGraph {
  model: Uint8Array;
  feeds: Record<string, { data: Float32Array; dims: number[] }>;
}

/** A session on ONNX Runtime's WebGPU engine; an operator it lacks runs on its CPU engine in the same session. */
export const WEBGPU_SESSION: Record<string, unknown> = { executionProviders: ['webgpu'] };

export class OnnxNet {
  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    private readonly feeds: Record<string, OrtTensor> = {},
  ) {}

  /** `threads`: ONNX Runtime's own intra-op threads for this session; `int8`: the int8 graph (see ./int8.ts). */
  static async create(source: ModelWeights | OnnxGraph, threads: number, int8?: Int8Settings, extra: Record<string, unknown> = {}): Promise<OnnxNet> {
    const ort = await loadOnnxRuntime();
    const graph = 'model' in source ? source : undefined;
    const session = await ort.InferenceSession.create(graph ? graph.model : onnxModel(source as ModelWeights, int8), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Frame sizes are fixed for a render; the arena only saves allocations we do not make often,
      // and without it the peak at 1080p is the activations alone.
      enableCpuMemArena: false,
      ...extra,
    });
    const feeds = Object.fromEntries(Object.entries(graph?.feeds ?? {}).map(([name, f]) => [name, new ort.Tensor('float32', f.data, f.dims)]));
    return new OnnxNet(ort, session, feeds);
  }

  /**
   * Frames of one size as one batch; sizes that are not multiples of 4 are padded by reflection and
   * cropped back. `feeds` replace the graph's constant ones for this batch (a style vector).
   */
  async stylize(frames: RgbFrame[], feeds?: OnnxGraph['feeds']): Promise<RgbFrame[]> {
    if (frames.length === 0) return [];
    const { width, height } = frames[0];
    const paddedW = Math.ceil(width / 4) * 4;
    const paddedH = Math.ceil(height / 4) * 4;
    const symmetricX = paddedW - width >= width;
    const symmetricY = paddedH - height >= height;
    const plane = paddedW * paddedH * 3;
    const input = new Float32Array(frames.length * plane);
    frames.forEach((frame, n) => {
      for (let y = 0; y < paddedH; y++) {
        const row = mirror(y, height, symmetricY) * width;
        for (let x = 0; x < paddedW; x++) {
          const from = (row + mirror(x, width, symmetricX)) * 3;
          const to = n * plane + (y * paddedW + x) * 3;
          input[to] = frame.data[from];
          input[to + 1] = frame.data[from + 1];
          input[to + 2] = frame.data[from + 2];
        }
      }
    });
    const given = Object.fromEntries(Object.entries(feeds ?? {}).map(([name, f]) => [name, new this.ort.Tensor('float32', f.data, f.dims)]));
    const result = await this.session.run({ ...this.feeds, ...given, rgb: new this.ort.Tensor('float32', input, [frames.length, paddedH, paddedW, 3]) });
    const output = result.stylized.data as Float32Array;
    result.stylized.dispose?.();
    return frames.map((frame, n) => {
      const data = new Uint8Array(rgbBytes(width, height));
      for (let y = 0; y < height; y++) {
        const from = n * plane + y * paddedW * 3;
        for (let i = 0; i < width * 3; i++) data[y * width * 3 + i] = output[from + i] + 0.5;
      }
      return { index: frame.index, width, height, data };
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
