// Quick looks before a long render: a side-by-side original|stylized clip at reduced size, or a
// contact sheet of evenly spaced frames. Small by default, so they come back in seconds.
import { decodeFrames } from './decode/frames.js';
import { clampFrameRange, parseFrameRange } from './decode/frame-range.js';
import { probeVideo, rationalValue, type VideoInfo } from './decode/probe.js';
import { audioUnderFrames, containerOf, startEncoder } from './encode/encoder.js';
import { defaultCodec } from './encode/codecs.js';
import type { RgbFrame } from './frame.js';
import { checkOutputPath, prepareOutput } from './output.js';
import { defaultOutputPath, temporalStrength } from './defaults.js';
import { runStages } from './pipeline.js';
import { isStillPath, writeStill } from './still.js';
import { checkOptions, withDefaults } from './options/derive.js';
import { OPTIONS, PREVIEW_OPTIONS, type OptionValues } from './options/table.js';
import { styleEntry, type StyleLicence } from './stylize/model-store.js';
import { createStylizer } from './stylize/stylizer.js';
import { checkStyleStrength, stylizerOptionsFor } from './job.js';
import { checkPictureStyle, styleLabel, styleLicence } from './stylize/magenta.js';
import { decodeOne } from './pipeline.js';
import { createTemporalStage } from './temporal/index.js';

/**
 * A preview: the input and the preview options of the table (src/options/table.ts). The output is
 * .mp4/.mov/.mkv/.webm for a side-by-side clip, .png/.jpg/.webp for a contact sheet (default
 * `<input>.<style>.preview.mp4`); frames are the clip's (default: one second from the middle), or
 * the span the sheet samples (default: all); temporal applies to the clip (a sheet's frames are far
 * apart and stylized alone).
 */
export type PreviewOptions = { input: string } & Pick<OptionValues, (typeof PREVIEW_OPTIONS)[number]>;

export interface PreviewResult {
  output: string;
  kind: 'side-by-side' | 'contact-sheet';
  frames: number[];
  width: number;
  height: number;
  seconds: number;
  /** the catalogue style's licence (undefined for --model) */
  licence?: StyleLicence;
}

export const DEFAULT_PREVIEW_SCALE = OPTIONS.scale.default!;
export const DEFAULT_SHEET_FRAMES = OPTIONS.count.default!;
const GAP = 4;

/** Even sizes, so the clip can be 4:2:0. */
function scaledSize(info: VideoInfo, scale: number): { width: number; height: number } {
  const even = (n: number) => Math.max(2, 2 * Math.round((n * scale) / 2));
  return { width: even(info.width), height: even(info.height) };
}

export async function preview(given: PreviewOptions): Promise<PreviewResult> {
  const started = performance.now();
  checkOptions(given, PREVIEW_OPTIONS);
  const options = withDefaults(given, PREVIEW_OPTIONS) as PreviewOptions & { style: string; scale: number; count: number };
  const output = options.output ?? defaultOutputPath(options.input, `${styleLabel(options.style)}.preview`);
  const sheet = isStillPath(output);
  if (!sheet) containerOf(output);
  const licence = styleLicence(options.style, options.model);
  checkStyleStrength(options);
  const range = typeof options.frames === 'string' ? parseFrameRange(options.frames) : options.frames;
  const { count } = options;
  await checkOutputPath(output, { input: options.input, overwrite: options.overwrite });
  const info = await probeVideo(options.input);
  const size = scaledSize(info, options.scale);
  const fps = rationalValue(info.fps);

  let frames: number[];
  if (sheet) {
    const { start, count: span } = range ? clampFrameRange(range, info.frameCount) : { start: 0, count: info.frameCount };
    const n = Math.min(count, span);
    // Evenly spaced, the first and last frames of the span included.
    frames = [...new Set(Array.from({ length: n }, (_, i) => start + (n === 1 ? 0 : Math.round((i * (span - 1)) / (n - 1)))))];
  } else {
    const second = Math.max(1, Math.round(fps));
    const middle = Math.max(0, Math.floor(info.frameCount / 2) - Math.floor(second / 2));
    const { start, count: span } = clampFrameRange(range ?? { start: middle, end: Math.min(info.frameCount, middle + second) - 1 }, info.frameCount);
    frames = Array.from({ length: span }, (_, i) => start + i);
  }

  const pending = await prepareOutput(output, { input: options.input, overwrite: options.overwrite });
  // A picture style: checked before anything is written; its strength mixes in the first frame's own style.
  await checkPictureStyle(options.style, options.model);
  const stylizer = await createStylizer(stylizerOptionsFor(options, size, undefined, () => decodeOne(info, frames[0])));
  try {
    const decoded = decodeFrames(info, sheet ? { frameList: frames, size } : { startFrame: frames[0], frameCount: frames.length, size });
    let result: { width: number; height: number };
    if (sheet) {
      const pairs: Array<{ original: RgbFrame; stylized: RgbFrame }> = [];
      const inputs: RgbFrame[] = [];
      for await (const frame of decoded) inputs.push(frame);
      const stylized = await Promise.all(inputs.map((f) => stylizer.stylize([f]).then(([s]) => s)));
      inputs.forEach((original, i) => pairs.push({ original, stylized: stylized[i] }));
      result = await writeContactSheet(pairs, size, output, pending.temporaryPath);
    } else {
      const temporal = await createTemporalStage({ strength: temporalStrength(options.temporal) });
      const width = 2 * size.width + GAP;
      const container = containerOf(output);
      const encoder = startEncoder({
        path: pending.temporaryPath, container, width, height: size.height, fps: info.fps, codec: defaultCodec(container),
        audioFrom: info.hasAudio ? audioUnderFrames({ path: info.path, stream: info.audioStream, codec: info.audioCodec, videoStartSeconds: info.startSeconds }, fps, frames[0], frames.length) : undefined,
      });
      try {
        const sink = { write: (stylized: RgbFrame, original: RgbFrame) => encoder.write(sideBySide(original, stylized)) };
        await runStages(decoded, stylizer, temporal, sink, { decode: 0, stylize: 0, temporal: 0, encode: 0 });
        await encoder.finish();
      } catch (err) {
        encoder.abort();
        throw err;
      }
      result = { width, height: size.height };
    }
    await pending.commit();
    return { output, kind: sheet ? 'contact-sheet' : 'side-by-side', frames, ...result, seconds: (performance.now() - started) / 1000, licence };
  } catch (err) {
    await pending.discard();
    throw err;
  } finally {
    await stylizer.close();
  }
}

/** original | gap | stylized, the gap black. */
function sideBySide(original: RgbFrame, stylized: RgbFrame): RgbFrame {
  const { width: w, height: h } = original;
  const width = 2 * w + GAP;
  const data = new Uint8Array(width * h * 3);
  for (let y = 0; y < h; y++) {
    data.set(original.data.subarray(y * w * 3, (y + 1) * w * 3), y * width * 3);
    data.set(stylized.data.subarray(y * w * 3, (y + 1) * w * 3), (y * width + w + GAP) * 3);
  }
  return { index: original.index, width, height: h, data };
}

/** Two columns of original|stylized pairs, in frame order, on black. */
async function writeContactSheet(
  pairs: Array<{ original: RgbFrame; stylized: RgbFrame }>,
  size: { width: number; height: number },
  output: string,
  path: string,
): Promise<{ width: number; height: number }> {
  const columns = Math.min(2, pairs.length);
  const rows = Math.ceil(pairs.length / columns);
  const cellWidth = 2 * size.width + GAP;
  const width = columns * cellWidth + (columns - 1) * 2 * GAP;
  const height = rows * size.height + (rows - 1) * 2 * GAP;
  const data = new Uint8Array(width * height * 3);
  pairs.forEach(({ original, stylized }, i) => {
    const cell = sideBySide(original, stylized);
    const left = (i % columns) * (cellWidth + 2 * GAP);
    const top = Math.floor(i / columns) * (size.height + 2 * GAP);
    for (let y = 0; y < size.height; y++) {
      data.set(cell.data.subarray(y * cellWidth * 3, (y + 1) * cellWidth * 3), ((top + y) * width + left) * 3);
    }
  });
  await writeStill({ index: 0, width, height, data }, output, path);
  return { width, height };
}
