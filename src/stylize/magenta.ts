// Arbitrary style transfer: Magenta's style predictor (any picture → a 100-number style vector) and
// its transformer (content + vector → stylized), published as TF Lite files that ship inside the package
// (assets/magenta). The transformer is converted to ONNX once and kept in the model cache; the int8
// predictor runs in TypeScript with TF Lite's own integer arithmetic (tflite-int8.ts).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import catalogue from './catalogue.json' with { type: 'json' };
import { UsageError, UserError } from '../errors.js';
import type { RgbFrame } from '../frame.js';
import { readTflite } from './tflite.js';
import { tfliteToOnnx, type ConversionOptions } from './tflite-onnx.js';
import { modelCacheDir, styleEntry, type StyleLicence } from './model-store.js';
import { packagedMagentaFile } from './built-in-styles.js';
import { Int8Graph } from './tflite-int8.js';

export const ARBITRARY = catalogue.arbitrary;
export const ARBITRARY_LICENCE: StyleLicence = catalogue.licences[ARBITRARY.licence as keyof typeof catalogue.licences];
type MagentaFile = keyof typeof ARBITRARY.files;
export const PREDICTOR: MagentaFile = 'style_predict_quantized_256.tflite';
export const TRANSFORMER: MagentaFile = 'style_transfer_f16_384.tflite';
/** Bumped when the conversion changes, so converted files in caches are made anew. */
const CONVERTER_VERSION = 2;
export const STYLE_SIZE = 256;
export const VECTOR_LENGTH = 100;

/** Image types a style may be given as; anything else sharp reads works too, named by a path. */
const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif', '.gif', '.bmp', '.heic', '.heif', '.svg'];
/** Larger style pictures are refused before decoding (the predictor sees 256x256 anyway). */
export const MAX_STYLE_PIXELS = 100_000_000;
export const MAX_STYLE_BYTES = 256 * 1024 * 1024;

/** A style option naming a picture (by an image extension or a path) rather than a catalogue style. */
export function isStyleImage(style: string | undefined): style is string {
  if (!style) return false;
  return IMAGE_EXTENSIONS.includes(extname(style).toLowerCase()) || /[/\\]/.test(style);
}

/** The style's name in output file names: the picture's name without its extension. */
export const styleLabel = (style: string): string => (isStyleImage(style) ? basename(style, extname(style)) : style);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A picture style is checked (it exists, is a picture, is not huge) before any decoding or writing; a catalogue style or a model passes. */
export async function checkPictureStyle(style: string | undefined, model?: string): Promise<void> {
  if (!model && isStyleImage(style)) await readStyleImage(style);
}

/** The style picture's bytes, checked: it exists, is a picture sharp reads, and is not absurdly large. */
export async function readStyleImage(path: string): Promise<{ bytes: Buffer; sha256: string; width: number; height: number }> {
  const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => undefined);
  if (size === undefined) throw new UsageError(`style image ${path} does not exist: give a picture file (JPEG, PNG, WebP, …) or a catalogue style (stylize-video styles)`);
  if (size < 0) throw new UsageError(`style image ${path} is not a file: give a picture file`);
  if (size > MAX_STYLE_BYTES) throw new UsageError(`style image ${path} is ${(size / 1024 ** 2).toFixed(0)} MB: give a picture under ${MAX_STYLE_BYTES / 1024 ** 2} MB`);
  const bytes = await readFile(path);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new UsageError(`style image ${path} is not a picture this program can read: give a JPEG, PNG, WebP, TIFF or AVIF file`);
  }
  const { width = 0, height = 0 } = meta;
  if ((meta.pages ?? 1) > 1 && meta.format !== 'gif') throw new UsageError(`style image ${path} holds ${meta.pages} pictures: give a single picture`);
  if (width < 1 || height < 1) throw new UsageError(`style image ${path} has no size: give a picture file`);
  if (width * height > MAX_STYLE_PIXELS) throw new UsageError(`style image ${path} is ${width}x${height}: give a picture of at most ${MAX_STYLE_PIXELS / 1e6} megapixels`);
  return { bytes, sha256: sha256(bytes), width, height };
}

/** Decodes a picture to RGB, the right way up (EXIF orientation), without alpha. */
export async function decodeStyleImage(bytes: Buffer, path: string): Promise<RgbFrame> {
  try {
    const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { index: 0, width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new UsageError(`style image ${path} could not be decoded (${(err as Error).message.split('\n')[0]}): give a JPEG, PNG, WebP, TIFF or AVIF file`);
  }
}

/**
 * The reference preparation (the TF Lite style-transfer tutorial): the shorter side resized to
 * `size` by bilinear interpolation (TF's tf.image.resize: half-pixel centres, no antialiasing), the
 * longer side by the same factor, then the centre `size`x`size` cropped; values 0..1, NHWC.
 */
export function prepareForPredictor(frame: RgbFrame, size = STYLE_SIZE): Float32Array {
  const { width, height, data } = frame;
  const scale = size / Math.min(width, height);
  // tf.cast(shape * scale, tf.int32) truncates.
  const newW = Math.max(size, Math.trunc(width * scale));
  const newH = Math.max(size, Math.trunc(height * scale));
  const offX = Math.floor((newW - size) / 2);
  const offY = Math.floor((newH - size) / 2);
  const sx = width / newW;
  const sy = height / newH;
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const fy = Math.max(0, (y + offY + 0.5) * sy - 0.5);
    const y0 = Math.min(height - 1, Math.floor(fy));
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.max(0, (x + offX + 0.5) * sx - 0.5);
      const x0 = Math.min(width - 1, Math.floor(fx));
      const x1 = Math.min(width - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const top = data[(y0 * width + x0) * 3 + c] * (1 - wx) + data[(y0 * width + x1) * 3 + c] * wx;
        const bottom = data[(y1 * width + x0) * 3 + c] * (1 - wx) + data[(y1 * width + x1) * 3 + c] * wx;
        out[(y * size + x) * 3 + c] = (top * (1 - wy) + bottom * wy) / 255;
      }
    }
  }
  return out;
}

/** `--style-strength r`: (1 - r) · content + r · style. */
export function blendVectors(content: Float32Array, style: Float32Array, strength: number): Float32Array {
  return Float32Array.from(style, (s, i) => (1 - strength) * content[i] + strength * s);
}

// --- the model files ---

const exists = (path: string) => stat(path).then(() => true, () => false);

async function verified(path: string, file: MagentaFile): Promise<Buffer | undefined> {
  const bytes = await readFile(path).catch(() => undefined);
  const meta = ARBITRARY.files[file];
  return bytes && bytes.length === meta.size && sha256(bytes) === meta.sha256 ? bytes : undefined;
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true });
  const staging = join(dir, `.${basename(path)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(staging, bytes);
    await rename(staging, path);
  } finally {
    await rm(staging, { force: true });
  }
}

/**
 * A model file, verified against its catalogue checksum: from $STYLIZE_VIDEO_MODELS/magenta where
 * it is there (a farm's own copy), else from the package itself (assets/magenta).
 */
export async function magentaFile(file: MagentaFile): Promise<{ bytes: Buffer; source: 'env' | 'package' }> {
  const shelf = process.env.STYLIZE_VIDEO_MODELS;
  const onShelf = shelf ? join(shelf, 'magenta', file) : undefined;
  const [path, source] = onShelf && (await exists(onShelf)) ? [onShelf, 'env' as const] : [packagedMagentaFile(file), 'package' as const];
  const bytes = await verified(path, file);
  if (!bytes) {
    const fix = source === 'env' ? 'replace it, or unset STYLIZE_VIDEO_MODELS' : 'reinstall stylize-video (npm install)';
    throw new UserError(`${path} is missing or does not match its catalogue checksum: ${fix}`);
  }
  return { bytes, source };
}

/** The converted transformer's inputs and outputs: the content enters and leaves as 0..255 (OnnxNet's contract for every network), the style vector as it is. */
const TRANSFORMER_GRAPH: ConversionOptions = { inputNames: ['rgb', 'style_vector'], outputNames: ['stylized'], inputDims: [['N', 'H', 'W', 3], [1, 1, 1, VECTOR_LENGTH]], outputDims: [['N', 'H', 'W', 3]], pixelScale: 255 };

/**
 * The transformer converted to ONNX: from the cache (named by the TF Lite file's SHA-256 and the
 * converter's version), or converted now and cached.
 */
export async function magentaOnnx(file: typeof TRANSFORMER): Promise<Uint8Array> {
  const meta = ARBITRARY.files[file];
  const cachedPath = join(modelCacheDir(), 'magenta', `${meta.sha256.slice(0, 16)}.v${CONVERTER_VERSION}.onnx`);
  const cached = await readFile(cachedPath).catch(() => undefined);
  if (cached && cached.length > 0) return new Uint8Array(cached.buffer, cached.byteOffset, cached.length);
  const { bytes } = await magentaFile(file);
  const onnx = tfliteToOnnx(readTflite(bytes, file), TRANSFORMER_GRAPH);
  // A cache that cannot be written costs a conversion next time, not the render.
  await writeAtomically(cachedPath, onnx).catch(() => undefined);
  return onnx;
}

/** The predictor, read and compiled once a process. */
let predictor: Promise<Int8Graph> | undefined;

/**
 * A picture's style vector: the int8 predictor on the picture's reference preparation, with the
 * TF Lite CPU runtime's arithmetic to the bit (tflite-int8.ts), whatever backend runs the
 * transformer. Exact integer sums and float32 steps with one rounding each: every machine of a farm
 * gets the same vector.
 */
export async function styleVector(picture: RgbFrame): Promise<Float32Array> {
  predictor ??= magentaFile(PREDICTOR).then(({ bytes }) => new Int8Graph(readTflite(bytes, PREDICTOR)));
  const graph = await predictor.catch((err: unknown) => {
    predictor = undefined;
    throw err;
  });
  return graph.run(prepareForPredictor(picture));
}

/** The licence a render with this style is under: the catalogue style's, Magenta's for a picture, none known for a --model folder. */
export function styleLicence(style: string, model?: string): StyleLicence | undefined {
  if (model) return undefined;
  return isStyleImage(style) ? ARBITRARY_LICENCE : styleEntry(style).licence;
}

/** How plan.json and the parts folder name a picture style: by its bytes, so an edited picture is another style. */
export async function styleIdentity(style: string): Promise<string> {
  const { sha256 } = await readStyleImage(style);
  return `picture ${basename(style)} (sha256 ${sha256})`;
}
