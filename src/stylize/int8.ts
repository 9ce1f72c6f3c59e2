// int8 inference on ONNX Runtime: which convolutions run on integers, where their activation
// ranges come from, and whether a render uses them (--precision fp32|int8|auto).
//
// Measured on the nine catalogue styles (docs/int8.md): quantizing the output of a convolution
// that feeds instance normalisation is what costs quality, as the normalisation magnifies the
// rounding of channels whose spread is small against the tensor's range. Shifting and scaling each
// output channel to a common range first (which instance normalisation undoes) recovers most of
// it; the residual blocks then stay within the bar, while the full-resolution 9x9 layers and the
// down/upsampling layers do not. So only the ten residual convolutions (about 70% of the work) run
// on integers.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OptionError, OptionFailure, UsageError, UserError } from '../errors.js';
import type { RgbFrame } from '../frame.js';
import { initBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { RESIDUAL_BLOCKS, weightsDigest, type ModelWeights } from './model-files.js';
import { onnxCalibrationModel, type ConvRange, type Int8Settings } from './onnx-model.js';
import { loadOnnxRuntime } from './onnx-net.js';
import { isStyleImage } from './magenta.js';
import stored from './int8-calibration.json' with { type: 'json' };

export const PRECISION_CHOICES = ['auto', 'fp32', 'int8'] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];

export interface PrecisionInfo {
  requested: PrecisionChoice;
  name: 'fp32' | 'int8';
  /** why this one, in a few words */
  reason: string;
}

/** Float, the precision of the PyTorch reference and of earlier renders. */
export const FP32: PrecisionInfo = Object.freeze({ requested: 'fp32', name: 'fp32', reason: 'asked for' });

/** A picture style runs Magenta's transformer in float: int8 covers the catalogue styles and model folders. */
export function pictureStylePrecision(requested: PrecisionChoice | PrecisionInfo): PrecisionInfo {
  const asked = typeof requested === 'object' ? requested.requested : requested;
  if (asked === 'int8') throw new OptionError('{precision} int8 applies to catalogue styles and {model} folders; a picture style runs in float: leave {precision} out');
  return { requested: asked, name: 'fp32', reason: asked === 'fp32' ? 'asked for' : 'a picture style runs in float' };
}

/** The convolutions that run on integers: the residual blocks'. */
export const INT8_LAYERS: readonly number[] = RESIDUAL_BLOCKS.flatMap(([a, b]) => [a.index, b.index]);
/** 7-bit weights: identical integer sums with and without VNNI (see Int8Settings.weightBits). */
export const INT8_WEIGHT_BITS = 7;
/** A convolution's input range: this quantile of its values at each end, so rare outliers do not coarsen every step. */
export const INPUT_QUANTILE = 0.9999;
/** The quality int8 must keep against fp32, per frame on average, for auto to choose it. */
export const QUALITY_BAR = { psnr: 32, ssim: 0.95 } as const;

/** What calibration and the quality check found for one model, as stored. */
export interface Int8Calibration {
  /** the weights' SHA-256 (weightsDigest): a calibration is of these weights only */
  weights: string;
  /** how the ranges were made: frames and where from */
  source: string;
  ranges: Record<string, ConvRange>;
  /** int8 against fp32 on footage, --no-temporal */
  quality?: { psnr: number; ssim: number; frames: number; passes: boolean };
}

/** The file beside a model folder's manifest where its calibration is kept (scripts/calibrate-int8.js writes it). */
export const CALIBRATION_FILE = 'int8-calibration.json';

const CATALOGUE_CALIBRATIONS = stored as unknown as Record<string, Int8Calibration>;

/** The stored calibration of a catalogue style, or of a model folder; undefined if none matches these weights. */
export async function storedCalibration(weights: ModelWeights, where: { style?: string; modelDir?: string }): Promise<Int8Calibration | undefined> {
  let calibration: Int8Calibration | undefined;
  if (where.modelDir) {
    calibration = await readFile(join(where.modelDir, CALIBRATION_FILE), 'utf8').then((text) => JSON.parse(text) as Int8Calibration, () => undefined);
  } else if (where.style) {
    calibration = CATALOGUE_CALIBRATIONS[where.style];
  }
  return calibration && calibration.weights === weightsDigest(weights) ? calibration : undefined;
}

export function int8Settings(calibration: Pick<Int8Calibration, 'ranges'>): Int8Settings {
  const ranges = Object.fromEntries(INT8_LAYERS.map((index) => {
    const range = calibration.ranges[String(index)];
    if (!range) throw new UserError(`the int8 calibration has no range for layer ${index}: calibrate again (scripts/calibrate-int8.js)`);
    return [index, range];
  }));
  return { ranges, weightBits: INT8_WEIGHT_BITS };
}

const significant = (v: number) => Number(v.toPrecision(6));

/**
 * Activation ranges of the int8 layers from these frames (any size, multiples of 4): each layer's
 * input by quantile, its output per channel by min/max. The same frames and weights give the same
 * ranges, which is why they are computed once and stored rather than on each machine.
 */
export async function calibrate(weights: ModelWeights, frames: RgbFrame[]): Promise<Record<string, ConvRange>> {
  const ort = await loadOnnxRuntime();
  const { model, taps } = onnxCalibrationModel(weights, INT8_LAYERS);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const inputs = new Map<number, number[]>();
  const lows = new Map<number, number[]>();
  const highs = new Map<number, number[]>();
  try {
    for (const frame of frames) {
      const rgb = new ort.Tensor('float32', Float32Array.from(frame.data), [1, frame.height, frame.width, 3]);
      const out = (await session.run({ rgb })) as Record<string, { data: unknown; dims?: readonly number[] }>;
      for (const index of INT8_LAYERS) {
        const tap = taps[index];
        const x = out[tap.input].data as Float32Array;
        const sample = inputs.get(index) ?? [];
        for (let i = 0; i < x.length; i += 31) sample.push(x[i]);
        inputs.set(index, sample);
        const y = out[tap.output].data as Float32Array;
        const channels = out[tap.output].dims![1];
        const plane = y.length / channels;
        const lo = lows.get(index) ?? new Array<number>(channels).fill(Infinity);
        const hi = highs.get(index) ?? new Array<number>(channels).fill(-Infinity);
        for (let c = 0; c < channels; c++) {
          for (let i = c * plane; i < (c + 1) * plane; i++) {
            if (y[i] < lo[c]) lo[c] = y[i];
            if (y[i] > hi[c]) hi[c] = y[i];
          }
        }
        lows.set(index, lo);
        highs.set(index, hi);
      }
    }
  } finally {
    await session.release();
  }
  return Object.fromEntries(INT8_LAYERS.map((index) => {
    const sorted = Float32Array.from(inputs.get(index)!).sort();
    const at = (q: number) => sorted[Math.round(q * (sorted.length - 1))];
    const range: ConvRange = {
      input: [significant(Math.min(0, at(1 - INPUT_QUANTILE))), significant(at(INPUT_QUANTILE))],
      outputLow: lows.get(index)!.map(significant),
      outputHigh: highs.get(index)!.map(significant),
    };
    return [String(index), range];
  }));
}

/**
 * Whether ONNX Runtime's integer convolutions beat its float ones on this CPU: on x86-64 with AVX2
 * or newer (measured 1.2-1.3x on an AVX2 EPYC without VNNI; more with VNNI) and on arm64; not on
 * older x86, where MLAS falls back to SSE.
 */
export function int8FasterHere(cpuinfo = readCpuinfo()): { faster: boolean; why: string } {
  if (process.arch === 'arm64') return { faster: true, why: 'arm64 integer dot products' };
  if (process.arch !== 'x64') return { faster: false, why: `no integer convolution kernels measured on ${process.arch}` };
  if (cpuinfo === undefined) return { faster: false, why: 'cannot read the CPU features' };
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  if (flags.has('avx512_vnni') || flags.has('avx_vnni')) return { faster: true, why: 'the CPU has VNNI' };
  if (flags.has('avx2')) return { faster: true, why: 'the CPU has AVX2' };
  return { faster: false, why: 'the CPU lacks AVX2' };
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

/** fp32 or int8 for this render: int8 only on ONNX Runtime, with a calibration of these weights. */
export function choosePrecision(requested: PrecisionChoice, backend: Pick<BackendInfo, 'name'>, calibration: Int8Calibration | undefined, cpu = int8FasterHere()): PrecisionInfo {
  if (!PRECISION_CHOICES.includes(requested)) throw new UsageError(`unknown precision '${requested}': use one of ${PRECISION_CHOICES.join(', ')}`);
  if (requested === 'fp32') return FP32;
  const missing = backend.name !== 'onnx'
    ? `the ${backend.name} backend runs float only (int8 runs on the onnx backend)`
    : !calibration ? 'no int8 calibration of these weights (scripts/calibrate-int8.js makes one)' : undefined;
  if (requested === 'int8') {
    if (missing) throw new OptionFailure(`{precision} int8 is not possible: ${missing}`);
    return { requested, name: 'int8', reason: 'asked for' };
  }
  if (missing) return { requested, name: 'fp32', reason: missing };
  const quality = calibration!.quality;
  if (!quality) return { requested, name: 'fp32', reason: 'int8 quality of this model not measured' };
  const figures = `int8 ${quality.psnr.toFixed(1)} dB / SSIM ${quality.ssim.toFixed(3)} against fp32`;
  if (!quality.passes) return { requested, name: 'fp32', reason: `${figures}, below the bar of ${QUALITY_BAR.psnr} dB / ${QUALITY_BAR.ssim}` };
  if (!cpu.faster) return { requested, name: 'fp32', reason: `int8 is not faster here: ${cpu.why}` };
  return { requested, name: 'int8', reason: `${figures}; faster here: ${cpu.why}` };
}

/**
 * The precision a render resolves to before it starts, for plan.json's identity: fp32 as asked;
 * otherwise on the backend that will run and the model's stored calibration. `weights` is needed
 * for a model folder (its calibration must be of these weights); a catalogue style's calibration
 * is checked against the weights again when the stylizer loads them.
 */
export async function renderPrecision(requested: PrecisionChoice, backend: BackendChoice, where: { style?: string; modelDir?: string }, weights?: ModelWeights): Promise<PrecisionInfo> {
  if (where.style && !where.modelDir && isStyleImage(where.style)) return pictureStylePrecision(requested);
  if (requested === 'fp32') return choosePrecision(requested, { name: 'onnx' }, undefined);
  const info = await initBackend(backend);
  const calibration = where.modelDir
    ? weights && (await storedCalibration(weights, where))
    : where.style ? CATALOGUE_CALIBRATIONS[where.style] : undefined;
  return choosePrecision(requested, info, calibration);
}
