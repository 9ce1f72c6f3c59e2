// A failed render's error, told as the cause a farm operator can act on: a full disk with the
// space the rest needs, a killed encoder with what was kept and how to go on.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { rgbBytes } from '../frame.js';
import { partsOf, spanLength, type FrameSpan } from './part-plan.js';
import { diskFullError } from './disk-space.js';
import type { PartsFolder } from './parts-folder.js';

/**
 * Bytes the render still needs: the parts not yet written at the bytes per frame of those written,
 * plus the joined output (as large as all the parts). With no part written, a tenth of the raw frames.
 */
export async function bytesStillNeeded(folder: PartsFolder, frameSize: { width: number; height: number }): Promise<number> {
  const { range, partFrames } = folder.manifest;
  let written = 0;
  let writtenFrames = 0;
  for (const part of partsOf(range, partFrames)) {
    const size = await stat(folder.path(part)).then((s) => s.size, () => undefined);
    if (size !== undefined) [written, writtenFrames] = [written + size, writtenFrames + spanLength(part)];
  }
  const total = spanLength(range);
  const perFrame = writtenFrames ? written / writtenFrames : rgbBytes(frameSize.width, frameSize.height) / 10;
  return Math.ceil(perFrame * (total - writtenFrames) + perFrame * total);
}

export async function explainFailure(err: unknown, folder: PartsFolder, job: { span: FrameSpan; info: { width: number; height: number } }): Promise<unknown> {
  const kept = (await folder.completed(partsOf(folder.manifest.range, folder.manifest.partFrames)).catch(() => new Set())).size;
  const keptText = kept ? `the ${kept} finished part(s) stay in ${folder.dir}` : 'no part was finished';
  const full = await diskFullError(err, dirname(folder.dir), await bytesStillNeeded(folder, job.info).catch(() => undefined), keptText);
  if (full) return full;
  // A child killed from outside (the encoder, or the decoder: "ffmpeg was killed with signal …").
  if (err instanceof UserError && /killed (by|with signal) SIG/.test(err.message)) {
    return new UserError(`${err.message}; ${keptText}, and the same command continues from them`, err.exitCode);
  }
  return err;
}
