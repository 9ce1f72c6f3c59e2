// Stills: the same network on one picture, read and written by sharp.
import sharp, { type FormatEnum, type OutputInfo } from 'sharp';
import { extname } from 'node:path';
import { UsageError, UserError } from './errors.js';
import { prepareOutput } from './output.js';
import type { BackendChoice } from './stylize/backend.js';
import { createStylizer } from './stylize/stylizer.js';
import { styleEntry } from './stylize/model-store.js';

export const STILL_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif'];

export const isStillPath = (path: string): boolean => STILL_EXTENSIONS.includes(extname(path).toLowerCase());

export interface StylizeImageOptions {
  input: string;
  output: string;
  style: string;
  model?: string;
  backend?: BackendChoice;
  overwrite?: boolean;
}

export async function stylizeImage(options: StylizeImageOptions): Promise<{ output: string; width: number; height: number; backend: string }> {
  if (!isStillPath(options.output)) {
    throw new UsageError(`cannot write a still to '${options.output}': use an output ending in ${STILL_EXTENSIONS.join(', ')}`);
  }
  if (!options.model) styleEntry(options.style);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    // rotate() applies EXIF orientation, so the picture is stylized the right way up.
    decoded = await sharp(options.input).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UserError(`cannot read ${options.input} as an image (${(err as Error).message}): give a JPEG, PNG, WebP, TIFF or AVIF file`);
  }
  const { width, height } = decoded.info;
  const output = await prepareOutput(options.output, { input: options.input, overwrite: options.overwrite });
  const stylizer = await createStylizer({ style: options.style, modelDir: options.model, backend: options.backend });
  try {
    const [stylized] = await stylizer.stylize([{ index: 0, width, height, data: new Uint8Array(decoded.data) }]);
    await sharp(stylized.data, { raw: { width, height, channels: 3 } })
      .toFormat(extname(options.output).slice(1).toLowerCase().replace('jpg', 'jpeg') as keyof FormatEnum, { quality: 95 })
      .toFile(output.temporaryPath);
    await output.commit();
    return { output: options.output, width, height, backend: stylizer.backend.name };
  } catch (err) {
    await output.discard();
    throw err;
  } finally {
    await stylizer.close();
  }
}
