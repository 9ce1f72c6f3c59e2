// Quick looks before a long render: a side-by-side original|stylized clip at reduced size, or a
// contact sheet of evenly spaced frames. Small by default, so they come back in seconds.
import { decodeFrames } from './decode/frames.js';
import { rationalValue } from './decode/probe.js';
import { audioUnderFrames, startEncoder } from './encode/encoder.js';
import type { RgbFrame } from './frame.js';
import { prepareOutput } from './output.js';
import { decodeOne, noStageTimes, runStages } from './pipeline.js';
import { writeStill } from './still.js';
import { resolvePreview, stylizerOptions, type PreviewJob, type PreviewRequest } from './job/index.js';
import { OPTIONS } from './options/table.js';
import type { StyleLicence } from './stylize/model-store.js';
import type { Look } from './stylize/look.js';
import { createStylizer } from './stylize/stylizer.js';
import { PLAIN_LOOK, withLook } from './stylize/look.js';
import { createTemporalStage } from './temporal/index.js';
import { hardSwitches } from './stylize/style-schedule.js';

export type PreviewOptions = PreviewRequest;

export interface PreviewResult {
  output: string;
  kind: 'side-by-side' | 'contact-sheet';
  frames: number[];
  width: number;
  height: number;
  seconds: number;
  /** the style's licence (undefined for a model folder) */
  licence?: StyleLicence;
  /** the look at the preview's size: the stroke scale that gives the network a render's frame size */
  look: Look;
  /** a comparison sheet's looks, one column each after the original */
  looks: readonly Look[];
}

export const DEFAULT_PREVIEW_SCALE = OPTIONS.scale.default!;
export const DEFAULT_SHEET_FRAMES = OPTIONS.count.default!;
const GAP = 4;

export async function preview(options: PreviewOptions): Promise<PreviewResult> {
  const started = performance.now();
  return runPreview(await resolvePreview(options), started);
}

export async function runPreview(job: PreviewJob, started = performance.now()): Promise<PreviewResult> {
  const { info, size, output } = job;
  const frames = [...job.frames];
  const pending = await prepareOutput(output, job);
  // A picture style's strength below 1 mixes in the first frame's own style.
  const compared = job.looks.length > 1;
  // Several looks share one network, each wrapped with its own look.
  const stylizer = await createStylizer({ ...stylizerOptions(job, size, () => decodeOne(info, frames[0])), ...(compared && { look: PLAIN_LOOK }) });
  try {
    const decoded = decodeFrames(info, job.sheet ? { frameList: frames, size } : { startFrame: frames[0], frameCount: frames.length, size });
    let result: { width: number; height: number };
    if (!job.clip) {
      const inputs: RgbFrame[] = [];
      for await (const frame of decoded) inputs.push(frame);
      const looked = compared ? job.looks.map((look) => withLook(stylizer, look)) : [stylizer];
      const rows = await Promise.all(inputs.map(async (original) => [original, ...(await Promise.all(looked.map((s) => s.stylize([original]).then(([out]) => out))))]));
      result = await writeContactSheet(rows, size, output, pending.temporaryPath);
    } else {
      const temporal = await createTemporalStage({ strength: job.strength, detail: job.detail });
      const width = 2 * size.width + GAP;
      const { container, codec, crf, preset } = job.clip;
      const fps = rationalValue(info.fps);
      const encoder = startEncoder({
        path: pending.temporaryPath, container, width, height: size.height, fps: info.fps, codec, crf, preset,
        audioFrom: info.hasAudio ? audioUnderFrames({ path: info.path, stream: info.audioStream, codec: info.audioCodec, videoStartSeconds: info.startSeconds }, fps, frames[0], frames.length) : undefined,
      });
      try {
        const sink = { write: (stylized: RgbFrame, original: RgbFrame) => encoder.write(sideBySide(original, stylized)) };
        const restart = { at: new Set(hardSwitches(job.schedule)), stage: () => createTemporalStage({ strength: job.strength, detail: job.detail }) };
        await runStages(decoded, stylizer, temporal, sink, noStageTimes(), { restart });
        await encoder.finish();
      } catch (err) {
        encoder.abort();
        throw err;
      }
      result = { width, height: size.height };
    }
    await pending.commit();
    return { output, kind: job.sheet ? 'contact-sheet' : 'side-by-side', frames, ...result, seconds: (performance.now() - started) / 1000, licence: job.style.licence, look: job.look, looks: job.looks };
  } catch (err) {
    await pending.discard();
    throw err;
  } finally {
    await stylizer.close();
  }
}

/** original | gap | stylized (| gap | stylized …), the gaps black. */
function sideBySide(original: RgbFrame, ...stylized: RgbFrame[]): RgbFrame {
  const { width: w, height: h } = original;
  const pictures = [original, ...stylized];
  const width = pictures.length * (w + GAP) - GAP;
  const data = new Uint8Array(width * h * 3);
  for (let y = 0; y < h; y++) {
    pictures.forEach((p, i) => data.set(p.data.subarray(y * w * 3, (y + 1) * w * 3), (y * width + i * (w + GAP)) * 3));
  }
  return { index: original.index, width, height: h, data };
}

/**
 * Rows of original|stylized cells in frame order, on black: two cells a row for pairs, one for a
 * comparison (original then one column per look).
 */
async function writeContactSheet(
  cells: RgbFrame[][],
  size: { width: number; height: number },
  output: string,
  path: string,
): Promise<{ width: number; height: number }> {
  const columns = Math.min(cells[0].length > 2 ? 1 : 2, cells.length);
  const rows = Math.ceil(cells.length / columns);
  const cellWidth = cells[0].length * (size.width + GAP) - GAP;
  const width = columns * cellWidth + (columns - 1) * 2 * GAP;
  const height = rows * size.height + (rows - 1) * 2 * GAP;
  const data = new Uint8Array(width * height * 3);
  cells.forEach(([original, ...stylized], i) => {
    const cell = sideBySide(original, ...stylized);
    const left = (i % columns) * (cellWidth + 2 * GAP);
    const top = Math.floor(i / columns) * (size.height + 2 * GAP);
    for (let y = 0; y < size.height; y++) {
      data.set(cell.data.subarray(y * cellWidth * 3, (y + 1) * cellWidth * 3), ((top + y) * width + left) * 3);
    }
  });
  await writeStill({ index: 0, width, height, data }, output, path);
  return { width, height };
}
