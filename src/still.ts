// Stills: the same network on one picture, read and written by sharp.
import sharp, { type FormatEnum, type OutputInfo } from 'sharp';
import { extname } from 'node:path';
import { UsageError, UserError } from './errors.js';
import { checkOutputPath, prepareOutput } from './output.js';
import { clampFrameRange } from './decode/frame-range.js';
import { decodeFrames } from './decode/frames.js';
import { probeVideo } from './decode/probe.js';
import type { RgbFrame } from './frame.js';
import { checkOptions, withDefaults } from './options/derive.js';
import { STILL_OPTIONS, type OptionValues } from './options/table.js';
import { createStylizer } from './stylize/stylizer.js';
import { checkStyleStrength, stylizerOptionsFor } from './job.js';
import { styleEntry, type StyleLicence } from './stylize/model-store.js';
import { checkPictureStyle, isStyleImage, styleLicence } from './stylize/magenta.js';

export const STILL_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif'];

export const isStillPath = (path: string): boolean => STILL_EXTENSIONS.includes(extname(path).toLowerCase());

/** A still: the input, its output, and the still options of the table (src/options/table.ts). */
export type StylizeImageOptions = { input: string; output: string } & Omit<Pick<OptionValues, (typeof STILL_OPTIONS)[number]>, 'output'>;

export interface StylizeImageResult {
  output: string;
  width: number;
  height: number;
  backend: string;
  /** 'fp32' or 'int8': the precision the network ran at, as --precision resolved */
  precision: string;
  /** the catalogue style's licence (undefined for a model folder) */
  licence?: StyleLicence;
}

export interface StylizeVideoFrameResult extends StylizeImageResult {
  /** the frame, 0-based */
  frame: number;
}

/** Writes RGB pixels as the image type `output`'s extension names, to `path`. */
export async function writeStill(frame: RgbFrame, output: string, path: string): Promise<void> {
  const extension = extname(output).slice(1).toLowerCase();
  const format: string = { jpg: 'jpeg', tif: 'tiff' }[extension] ?? extension;
  // For PNG, sharp reads a quality as "quantise to a palette": lossless formats get none.
  const lossy = ['jpeg', 'webp', 'avif'].includes(format);
  await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .toFormat(format as keyof FormatEnum, lossy ? { quality: 95 } : {})
    .toFile(path);
}

/** The options checked, the table's defaults filled in. */
function stillOptions<T extends StylizeImageOptions>(options: T): T & { style: string } {
  checkOptions(options, STILL_OPTIONS);
  if (!isStillPath(options.output)) throw new UsageError(`cannot write a still to '${options.output}': use an output ending in ${STILL_EXTENSIONS.join(', ')}`);
  const checked = withDefaults(options, STILL_OPTIONS) as T & { style: string };
  if (!checked.model && !isStyleImage(checked.style)) styleEntry(checked.style);
  checkStyleStrength(checked);
  return checked;
}

const licenceOf = (options: StylizeImageOptions) => styleLicence(options.style!, options.model);

export interface StylizeVideoFrameOptions extends Omit<StylizeImageOptions, 'input'> {
  input: string;
  /** the frame, 0-based */
  frame: number;
}

/** One frame of a video, stylized on its own, as an image (`--frames 42 -o frame.png`). */
export async function stylizeVideoFrame(options: StylizeVideoFrameOptions): Promise<StylizeVideoFrameResult> {
  options = stillOptions(options);
  await checkOutputPath(options.output, { input: options.input, overwrite: options.overwrite });
  await checkPictureStyle(options.style, options.model);
  const info = await probeVideo(options.input);
  const { start } = clampFrameRange({ start: options.frame, end: options.frame }, info.frameCount);
  let frame: RgbFrame | undefined;
  for await (const decoded of decodeFrames(info, { startFrame: start, frameCount: 1 })) frame = decoded;
  const ran = await stylizeToStill(frame!, options);
  return { output: options.output, frame: start, width: info.width, height: info.height, ...ran, licence: licenceOf(options) };
}

/** Stylizes one frame and writes it to options.output whole or not at all; returns the backend and precision it ran on. */
async function stylizeToStill(frame: RgbFrame, options: StylizeImageOptions): Promise<{ backend: string; precision: string }> {
  const output = await prepareOutput(options.output, { input: options.input, overwrite: options.overwrite });
  // A picture style's strength below 1 mixes in this picture's own style.
  const stylizer = await createStylizer(stylizerOptionsFor(options, { width: frame.width, height: frame.height }, undefined, async () => frame));
  try {
    const [stylized] = await stylizer.stylize([frame]);
    await writeStill(stylized, options.output, output.temporaryPath);
    await output.commit();
    return { backend: stylizer.backend.name, precision: stylizer.precision.name };
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    await stylizer.close();
  }
}

export async function stylizeImage(options: StylizeImageOptions): Promise<StylizeImageResult> {
  options = stillOptions(options);
  await checkPictureStyle(options.style, options.model);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    // rotate() applies EXIF orientation, so the picture is stylized the right way up.
    decoded = await sharp(options.input).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UserError(`cannot read ${options.input} as an image (${(err as Error).message}): give a JPEG, PNG, WebP, TIFF or AVIF file`);
  }
  const { width, height } = decoded.info;
  const ran = await stylizeToStill({ index: 0, width, height, data: new Uint8Array(decoded.data) }, options);
  return { output: options.output, width, height, ...ran, licence: licenceOf(options) };
}
