// Stills: the same network on one picture, read and written by sharp.
import sharp, { type FormatEnum, type OutputInfo } from 'sharp';
import { extname } from 'node:path';
import { UserError } from './errors.js';
import { prepareOutput } from './output.js';
import { decodeFrames } from './decode/frames.js';
import type { RgbFrame } from './frame.js';
import { resolveFrame, resolveImage, stylizerOptions, type FrameJob, type ImageJob, type ImageRequest } from './job/index.js';
import { createStylizer } from './stylize/stylizer.js';
import type { StyleLicence } from './stylize/model-store.js';
import { strokeScaleFor, type Look } from './stylize/look.js';

/** A still: the input, its output, and the still options of the table (src/options/table.ts). */
export type StylizeImageOptions = ImageRequest;

export interface StylizeImageResult {
  output: string;
  width: number;
  height: number;
  backend: string;
  /** 'fp32' or 'int8': the precision the network ran at, as --precision resolved */
  precision: string;
  /** the style's licence (undefined for a model folder) */
  licence?: StyleLicence;
  /** stroke scale ('auto' for a picture resolves from its size), intensity and original colours */
  look: Look;
}

export interface StylizeVideoFrameResult extends StylizeImageResult {
  /** the frame, 0-based */
  frame: number;
}

export interface StylizeVideoFrameOptions extends StylizeImageOptions {
  output: string;
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

export async function stylizeImage(options: StylizeImageOptions): Promise<StylizeImageResult> {
  return runImage(await resolveImage(options));
}

/** One frame of a video, stylized on its own, as an image (`--frames 42 -o frame.png`). */
export async function stylizeVideoFrame(options: StylizeVideoFrameOptions): Promise<StylizeVideoFrameResult> {
  const { frame, ...still } = options;
  return runFrame(await resolveFrame({ ...still, frames: { start: frame, end: frame } }));
}

export async function runImage(job: ImageJob): Promise<StylizeImageResult> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    // rotate() applies EXIF orientation, so the picture is stylized the right way up.
    decoded = await sharp(job.input).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UserError(`cannot read ${job.input} as an image (${(err as Error).message}): give a JPEG, PNG, WebP, TIFF or AVIF file`);
  }
  const { width, height } = decoded.info;
  const ran = await stylizeToStill({ index: 0, width, height, data: new Uint8Array(decoded.data) }, job);
  return { output: job.output, width, height, ...ran, licence: job.style.licence, look: { ...job.look, strokeScale: strokeScaleFor(job.look, width, height) } };
}

export async function runFrame(job: FrameJob): Promise<StylizeVideoFrameResult> {
  let frame: RgbFrame | undefined;
  for await (const decoded of decodeFrames(job.info, { startFrame: job.frame, frameCount: 1 })) frame = decoded;
  const ran = await stylizeToStill(frame!, job);
  return { output: job.output, frame: job.frame, width: job.info.width, height: job.info.height, ...ran, licence: job.style.licence, look: job.look };
}

/** Stylizes one frame and writes it to the job's output whole or not at all; returns the backend and precision it ran on. */
async function stylizeToStill(frame: RgbFrame, job: ImageJob | FrameJob): Promise<{ backend: string; precision: string }> {
  const output = await prepareOutput(job.output, job);
  // A picture style's strength below 1 mixes in this picture's own style.
  const stylizer = await createStylizer(stylizerOptions(job, { width: frame.width, height: frame.height }, async () => frame));
  try {
    const [stylized] = await stylizer.stylize([frame]);
    await writeStill(stylized, job.output, output.temporaryPath);
    await output.commit();
    return { backend: stylizer.backend.name, precision: stylizer.precision.name };
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    await stylizer.close();
  }
}
