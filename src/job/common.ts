// What every route resolves alike: the options checked with the table's defaults filled in, the
// style, the precision, and the stylizer built from the job.
import { basename, dirname, extname, join } from 'node:path';
import { checkOptions, withDefaults } from '../options/derive.js';
import { OptionError } from '../errors.js';
import type { OptionName, OptionValues } from '../options/table.js';
import type { RgbFrame } from '../frame.js';
import type { BackendChoice } from '../stylize/backend.js';
import { pictureStylePrecision, renderPrecision, type PrecisionInfo } from '../stylize/int8.js';
import type { ModelWeights } from '../stylize/model-files.js';
import type { DownloadProgress } from '../stylize/model-store.js';
import type { StylizerOptions } from '../stylize/stylizer.js';
import { autoStrokeScale, type Look } from '../stylize/look.js';
import { chooseStyle, modelWeights, type StyleChoice } from './style.js';
import { scheduledStyle } from './style-schedule.js';
import type { StyleSchedule } from '../stylize/style-schedule.js';

/** What every resolved job holds. */
export interface JobBase {
  readonly input: string;
  readonly output: string;
  readonly overwrite: boolean;
  readonly style: StyleChoice;
  /** fp32 or int8, resolved once (plan.json records it for a video) */
  readonly precision: PrecisionInfo;
  /** what runs the network, and the flow workers beside it; batch and threads unset take the backend's own defaults */
  readonly machine: { readonly backend: BackendChoice; readonly batch?: number; readonly concurrency?: number | string; readonly flowWorkers?: number };
  /** stroke scale, original colours and intensity, on what the network returns */
  readonly look: Look;
  /** styles that change over time ({styleAt}), by frame of the input */
  readonly schedule?: StyleSchedule;
}

export type Checked<N extends OptionName> = Pick<OptionValues, N> & { style: string; backend: BackendChoice; precision: NonNullable<OptionValues['precision']> };

/** The route's options checked against the table, its defaults filled in, and the style chosen. */
export function checkedOptions<N extends OptionName>(given: OptionValues, names: readonly N[]): { values: Checked<N>; style: StyleChoice } {
  checkOptions(given, names);
  const values = withDefaults(given, names) as unknown as Checked<N>;
  return { values, style: chooseStyle(values as never, given.style !== undefined) };
}

/** `<input name>.<label><extension>` beside the input. */
export const defaultOutputPath = (input: string, label: string, extension: string): string => join(dirname(input), `${basename(input, extname(input))}.${label}${extension}`);

/** The precision the network runs at; a model folder's weights are read once, here, and handed back. */
export async function precisionOf(style: StyleChoice, values: { precision: Checked<never>['precision']; backend: BackendChoice }, weights?: ModelWeights): Promise<PrecisionInfo> {
  if (style.kind === 'picture') return pictureStylePrecision(values.precision);
  const where = style.kind === 'model' ? { modelDir: style.dir } : { style: style.name };
  return renderPrecision(values.precision, values.backend, where, style.kind === 'model' && values.precision !== 'fp32' ? (weights ?? (await modelWeights(style))) : undefined);
}

/**
 * The look the options ask for. `frameSize`, where known, resolves an automatic stroke scale; a
 * preview's frames, `shrink` times the input's size, get the scale that gives the network the
 * frame size a render would (strokes as the render will have them), never below 1.
 */
export function lookOf(values: Pick<OptionValues, 'strokeScale' | 'intensity' | 'originalColors'>, frameSize?: { width: number; height: number }, shrink = 1): Look {
  const [look] = looksOf(values, frameSize, shrink, false);
  return look;
}

/**
 * The looks a contact sheet compares: one per value of the option given several (one of
 * strokeScale and intensity); with `several` false, a single value is required.
 */
export function looksOf(values: Pick<OptionValues, 'strokeScale' | 'intensity' | 'originalColors'>, frameSize?: { width: number; height: number }, shrink = 1, several = true): Look[] {
  const scales = [values.strokeScale ?? 1].flat(), intensities = [values.intensity ?? 1].flat();
  if (!several && (scales.length > 1 || intensities.length > 1)) {
    throw new OptionError(`several values of ${scales.length > 1 ? '{strokeScale}' : '{intensity}'} make a contact sheet to choose from (stylize-video preview with an image output): give one value to render`);
  }
  if (scales.length > 1 && intensities.length > 1) throw new OptionError('give several values to one of {strokeScale} and {intensity}, not both: one column each');
  const resolve = (scale: number | 'auto'): number | 'auto' => {
    const s = scale === 'auto' ? (frameSize ? autoStrokeScale(frameSize.width, frameSize.height) : 'auto') : scale;
    return s === 'auto' ? s : Math.max(1, s * shrink);
  };
  return scales.flatMap((scale) => intensities.map((intensity) => Object.freeze({ strokeScale: resolve(scale), intensity, originalColors: !!values.originalColors })));
}

export function machineOf(values: Pick<OptionValues, 'batch' | 'concurrency' | 'flowWorkers'> & { backend: BackendChoice }): JobBase['machine'] {
  return Object.freeze({ backend: values.backend, batch: values.batch, concurrency: values.concurrency, flowWorkers: values.flowWorkers });
}

/**
 * The stylizer for a job, sized for the frames it will be given (which keeps ONNX Runtime within its
 * memory budget); `contentFrame` is the frame whose own style a picture style's strength below 1
 * mixes in.
 */
export function stylizerOptions(job: JobBase, frameSize: { width: number; height: number }, contentFrame?: () => Promise<RgbFrame>, onDownload?: (progress: DownloadProgress) => void): StylizerOptions {
  const { style, machine: { flowWorkers: _flow, ...machine } } = job;
  return {
    ...scheduledStyle(style),
    precision: job.precision,
    look: job.look,
    schedule: job.schedule,
    ...machine,
    frameSize, onDownload, contentFrame,
  };
}
