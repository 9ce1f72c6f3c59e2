// Every route turns what the caller gave into one frozen, fully resolved job here, with every
// default and check taken from the option table (src/options/table.ts); the routes only run it.
import { STILL_OPTIONS, type OptionValues, type RENDER_OPTIONS } from '../options/table.js';
import { isStillPath, resolveFrame, resolveImage, type FrameJob, type ImageJob, type ImageRequest } from './still.js';
import { resolveVideo, type VideoJob } from './video.js';
import { OptionError } from '../errors.js';

export { chooseStyle, type StyleChoice } from './style.js';
export { stylizerOptions, defaultOutputPath, type JobBase } from './common.js';
export { resolveVideo, plannedRuns, framesIn, manifestOf, frameChooser, temporalStrength, type VideoJob, type VideoRequest } from './video.js';
export { resolveImage, resolveFrame, isStillPath, STILL_EXTENSIONS, type ImageJob, type FrameJob, type ImageRequest, type FrameRequest } from './still.js';
export { resolvePreview, type PreviewJob, type PreviewRequest } from './preview.js';

/** What the command line's render takes: any input, any output. */
export type RenderRequest = { input: string } & Pick<OptionValues, (typeof RENDER_OPTIONS)[number]>;

/**
 * The render's route: a picture input is stylized as a picture; a video with a picture output
 * gives the one frame `frames` names; any other video is rendered.
 */
export function resolveRender(request: RenderRequest): Promise<ImageJob | FrameJob | VideoJob> {
  const { input, output } = request;
  // A still takes the still options of the table; the others do not apply to one picture.
  const still = { input, ...Object.fromEntries(STILL_OPTIONS.map((name) => [name, request[name]])) } as ImageRequest;
  if (isStillPath(input)) {
    if (request.styleAt?.length) throw new OptionError(`${input} is a picture: {styleAt} switches style along a video's time, a picture has one style ({style})`);
    return resolveImage(still);
  }
  if (output && isStillPath(output)) return resolveFrame({ ...still, output, frames: request.frames, shard: request.shard, styleAt: request.styleAt, styleFade: request.styleFade });
  return resolveVideo(request);
}
