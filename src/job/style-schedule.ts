// Styles over time resolved once: each switch's style chosen and checked, its time turned into a
// frame (onto a hard cut within half a second), the crossfade in frames, and what plan.json
// records (docs/controls.md, Style over time).
import { basename, resolve } from 'node:path';
import { timeRange, parseTimecode } from '../decode/frame-range.js';
import { decodeFrames } from '../decode/frames.js';
import { rationalValue, type VideoInfo } from '../decode/probe.js';
import { OptionError } from '../errors.js';
import type { OptionValues } from '../options/table.js';
import type { StyleAt } from '../options/validators.js';
import type { StyleSchedule } from '../stylize/style-schedule.js';
import { CUT_HISTORY, hardCuts } from '../temporal/cuts.js';
import { chooseStyle, isModelFolder, styleIdentity, type StyleChoice } from './style.js';

/** A switch given as a time lands on a hard cut this close to it, in seconds. */
export const SNAP_SECONDS = 0.5;

type ScheduleValues = Pick<OptionValues, 'styleAt' | 'styleFade' | 'styleStrength' | 'precision'>;

/** `f120=wave` or `65.5=munch`, as the caller would write it on the command line. */
const spelled = (at: StyleAt): string => `${at.frame !== undefined ? `f${at.frame}` : at.time}=${at.style}`;

/**
 * Each switch's style, chosen as {style} chooses (an unknown name fails here, before anything is
 * read); a folder holding manifest.json is a model folder.
 */
export function switchStyles(values: ScheduleValues): StyleChoice[] {
  if (values.styleAt?.length && values.precision && values.precision !== 'fp32') throw new OptionError('{styleAt} runs every style at fp32 (int8 is calibrated per network): leave {precision} out');
  return (values.styleAt ?? []).map(({ style }) => {
    if (isModelFolder(style)) return { kind: 'model', dir: style, label: basename(resolve(style)) };
    const choice = chooseStyle({ style }, true);
    return choice.kind === 'picture' ? { ...choice, strength: values.styleStrength ?? 1 } : choice;
  });
}

/**
 * The schedule and what plan.json records of it, or nothing without {styleAt}. `lastFrame` is the
 * last frame the route shows: a switch after it would never be seen.
 */
export async function resolveSchedule(values: ScheduleValues, base: StyleChoice, info: VideoInfo, lastFrame = info.frameCount - 1): Promise<{ schedule?: StyleSchedule; identity?: string }> {
  const given = values.styleAt ?? [];
  if (!given.length) {
    if (values.styleFade) throw new OptionError('{styleFade} crossfades between the styles {styleAt} switches to: give {styleAt} too, or leave {styleFade} out');
    return {};
  }
  const choices = switchStyles(values);
  const fps = rationalValue(info.fps);
  const fade = Math.round((values.styleFade ?? 0) * fps);
  const seconds = (at: StyleAt) => (typeof at.time === 'string' ? parseTimecode(at.time, 'styleAt') : at.time!);
  const frames = given.map((at) => at.frame ?? timeRange(seconds(at), undefined, fps).start);
  const check = () => {
    frames.forEach((frame, i) => {
      const at = `{styleAt} ${spelled(given[i])}`;
      if (frame > lastFrame) throw new OptionError(`${at}: frame ${frame} is past the end (the last frame shown is ${lastFrame}, at ${(lastFrame / fps).toFixed(2)} s): give a switch within the render`);
      if (i > 0 && frame <= frames[i - 1]) {
        const what = frame === frames[i - 1] ? 'lands on the same frame as' : 'comes before';
        throw new OptionError(`${at}: ${what} ${spelled(given[i - 1])} (frame ${frame}): give the switches in order, one a frame`);
      }
    });
    frames.forEach((frame, i) => {
      const room = (i + 1 < frames.length ? frames[i + 1] : info.frameCount) - frame;
      if (fade > room) {
        const until = i + 1 < frames.length ? `the next switch, ${spelled(given[i + 1])}` : 'the end of the video';
        throw new OptionError(`{styleFade} ${values.styleFade}: ${fade} frames, longer than the ${room} from ${spelled(given[i])} to ${until}: give a shorter fade`);
      }
    });
  };
  check();
  // A switch given as a time lands on the nearest hard cut within SNAP_SECONDS.
  for (const [i, at] of given.entries()) {
    if (at.time === undefined) continue;
    const reach = Math.ceil(SNAP_SECONDS * fps);
    const first = Math.max(0, frames[i] - reach - CUT_HISTORY - 1);
    const last = Math.min(info.frameCount - 1, frames[i] + reach + 1);
    const time = seconds(at);
    const near = (await hardCuts(decodeFrames(info, { startFrame: first, frameCount: last - first + 1 })))
      .filter((cut) => Math.abs(cut / fps - time) <= SNAP_SECONDS + 1e-9)
      .sort((a, b) => Math.abs(a / fps - time) - Math.abs(b / fps - time) || a - b);
    if (near.length) frames[i] = near[0];
  }
  check();
  // One line (parts folders compare settings as values): each switch's frame, fade and style as plan.json names a style.
  const named = await Promise.all(choices.map(async (choice, i) => {
    const { style, styleStrength, model } = await styleIdentity(choice);
    const strength = styleStrength !== undefined && styleStrength !== 1 ? ` at strength ${styleStrength}` : '';
    return `frame ${frames[i]}${fade ? ` (fade ${fade} frames)` : ''}: ${style ?? `model ${model}`}${strength}`;
  }));
  const identity = named.join('; ');
  const styles = [base, ...choices].map(scheduledStyle);
  return { schedule: { styles, switches: frames.map((frame, i) => ({ frame, style: i + 1, fade })) }, identity };
}

/** A chosen style as the stylizer takes it. */
export const scheduledStyle = (choice: StyleChoice) => ({
  style: choice.kind === 'picture' ? choice.path : choice.kind === 'catalogue' ? choice.name : choice.label,
  modelDir: choice.kind === 'model' ? choice.dir : undefined,
  styleStrength: choice.kind === 'picture' ? choice.strength : undefined,
});
