// One call for any input, as the command line takes it: an image is stylized as an image, a video
// with an image output gives the one frame chosen, and any other video is rendered.
import { extname } from 'node:path';
import { parseFrameRange } from './decode/frame-range.js';
import { defaultOutputPath } from './defaults.js';
import { withDefaults } from './options/derive.js';
import { OptionError } from './options/option-error.js';
import { STILL_OPTIONS } from './options/table.js';
import { styleLabel } from './stylize/magenta.js';
import { stylizeVideo, type StylizeVideoOptions, type StylizeVideoResult } from './pipeline.js';
import { isStillPath, stylizeImage, stylizeVideoFrame, type StylizeImageResult, type StylizeVideoFrameResult } from './still.js';

export type StylizeResult =
  | ({ kind: 'image' } & StylizeImageResult)
  | ({ kind: 'frame' } & StylizeVideoFrameResult)
  | ({ kind: 'video' } & StylizeVideoResult);

export async function stylize(options: StylizeVideoOptions): Promise<StylizeResult> {
  const { input } = options;
  if (isStillPath(input)) {
    const { style } = withDefaults({ style: options.style }, STILL_OPTIONS) as { style: string };
    const output = options.output ?? defaultOutputPath(input, styleLabel(style), extname(input));
    return { kind: 'image', ...(await stylizeImage({ input, output, style, styleStrength: options.styleStrength, model: options.model, backend: options.backend, precision: options.precision, overwrite: options.overwrite })) };
  }
  if (options.output && isStillPath(options.output)) {
    const frame = typeof options.frames === 'string' ? parseFrameRange(options.frames) : options.frames;
    if (!frame || frame.end !== frame.start || options.shard) {
      throw new OptionError(`${options.output} is an image: it holds one frame, so choose it with {frames} N (or write a video, or use "stylize-video preview" for a contact sheet)`);
    }
    const { output, style, styleStrength, model, backend, precision, overwrite } = options;
    return { kind: 'frame', ...(await stylizeVideoFrame({ input, output, frame: frame.start, style, styleStrength, model, backend, precision, overwrite })) };
  }
  return { kind: 'video', ...(await stylizeVideo(options)) };
}
