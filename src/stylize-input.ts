// One call for any input, as the command line takes it: the job resolved once (src/job), then run
// by its route.
import { resolveRender } from './job/index.js';
import { runVideo, type StylizeVideoOptions, type StylizeVideoResult } from './pipeline.js';
import { runFrame, runImage, type StylizeImageResult, type StylizeVideoFrameResult } from './still.js';

export type StylizeResult =
  | ({ kind: 'image' } & StylizeImageResult)
  | ({ kind: 'frame' } & StylizeVideoFrameResult)
  | ({ kind: 'video' } & StylizeVideoResult);

export async function stylize(options: StylizeVideoOptions): Promise<StylizeResult> {
  const { signal, onEvent, ...request } = options;
  const job = await resolveRender(request);
  if (job.kind === 'image') return { kind: 'image', ...(await runImage(job)) };
  if (job.kind === 'frame') return { kind: 'frame', ...(await runFrame(job)) };
  return { kind: 'video', ...(await runVideo(job, { signal, onEvent })) };
}
