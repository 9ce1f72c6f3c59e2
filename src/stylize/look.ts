// The artist's controls on the network's output, in one place for every route (renders, stills,
// previews): stroke scale, then original colours, then intensity (docs/controls.md).
import type { RgbFrame } from '../frame.js';
import { areaDownscale, jointBilateralUpsample } from './joint-upsample.js';
import type { Stylizer } from './stylizer.js';

export interface Look {
  /** the network works at 1/s of the frame's size, so strokes are s times bigger; 'auto' from the frame's size (autoStrokeScale) */
  readonly strokeScale: number | 'auto';
  /** the stylized frame's share against the original, 0..1 */
  readonly intensity: number;
  /** the stylized luma with the input's chroma */
  readonly originalColors: boolean;
}

export const PLAIN_LOOK: Look = Object.freeze({ strokeScale: 1, intensity: 1, originalColors: false });

/** The largest stroke scale taken: beyond it the network would see a few dozen pixels. */
export const MAX_STROKE_SCALE = 16;

/** The short side the shipped networks' strokes look right at (640x360), as a scale for this frame. */
export const autoStrokeScale = (width: number, height: number): number => Math.max(1, Math.min(width, height) / 360);

export const strokeScaleFor = (look: Pick<Look, 'strokeScale'>, width: number, height: number): number => (look.strokeScale === 'auto' ? autoStrokeScale(width, height) : look.strokeScale);

/** The size the network works at for a frame at stroke scale s: 1/s of it, in multiples of 4 (the TransformerNet's stride), at least 4. */
export function networkSize(width: number, height: number, scale: number): { width: number; height: number } {
  if (scale <= 1) return { width, height };
  const side = (n: number) => Math.min(n, Math.max(4, 4 * Math.round(n / scale / 4)));
  return { width: side(width), height: side(height) };
}

/**
 * The input's chroma under the stylized luma: in any luma/chroma space whose luma is BT.601's
 * (YCbCr, YIQ), keeping the input's chroma adds the luma difference to each channel alike.
 */
export function withOriginalColors(stylized: RgbFrame, input: RgbFrame): RgbFrame {
  const s = stylized.data, x = input.data;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i += 3) {
    const shift = 0.299 * (s[i] - x[i]) + 0.587 * (s[i + 1] - x[i + 1]) + 0.114 * (s[i + 2] - x[i + 2]);
    out[i] = clampByte(x[i] + shift);
    out[i + 1] = clampByte(x[i + 1] + shift);
    out[i + 2] = clampByte(x[i + 2] + shift);
  }
  return { ...stylized, data: out };
}

/** a · stylized + (1 − a) · input. */
export function mixIntensity(stylized: RgbFrame, input: RgbFrame, a: number): RgbFrame {
  const s = stylized.data, x = input.data;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = Math.round(a * s[i] + (1 - a) * x[i]);
  return { ...stylized, data: out };
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

export const isPlainLook = (look: Look): boolean => look.strokeScale === 1 && look.intensity === 1 && !look.originalColors;

/** Frames through the network and the look. */
async function lookedBatch(stylizer: Stylizer, look: Look, frames: RgbFrame[]): Promise<RgbFrame[]> {
  const small = frames.map((frame) => {
    const size = networkSize(frame.width, frame.height, strokeScaleFor(look, frame.width, frame.height));
    return size.width === frame.width && size.height === frame.height ? frame : areaDownscale(frame, size.width, size.height);
  });
  const stylized = await stylizer.stylize(small);
  return stylized.map((out, i) => {
    const input = frames[i];
    let frame = small[i] === input ? out : jointBilateralUpsample(out, small[i], input);
    if (look.originalColors) frame = withOriginalColors(frame, input);
    if (look.intensity !== 1) frame = mixIntensity(frame, input, look.intensity);
    return { ...frame, index: input.index };
  });
}

/** The stylizer with the look applied to what it returns; itself when the look changes nothing. */
export function withLook(stylizer: Stylizer, look: Look): Stylizer {
  if (isPlainLook(look)) return stylizer;
  return {
    backend: stylizer.backend, precision: stylizer.precision, model: stylizer.model, batchSize: stylizer.batchSize, concurrency: stylizer.concurrency,
    stylize: (frames) => lookedBatch(stylizer, look, frames),
    close: () => stylizer.close(),
  };
}
