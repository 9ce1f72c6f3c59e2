// Styles that change over time: which style, or which crossfade of two, each frame gets, as a pure
// function of its index in the input, so that parts, shards and warm-ups agree (docs/controls.md,
// Style over time).
import type { RgbFrame } from '../frame.js';
import { blendVectors } from './magenta.js';

/** A style as the stylizer takes one: a catalogue name or a picture path, or a model folder. */
export interface ScheduledStyle {
  readonly style: string;
  readonly modelDir?: string;
  /** a picture style's strength (its vector mixed with the content's own) */
  readonly styleStrength?: number;
}

export interface StyleSwitch {
  /** the first frame (0-based, in the input) of the new style or of its crossfade */
  readonly frame: number;
  /** the new style, an index into the schedule's styles */
  readonly style: number;
  /** frames the crossfade from the style before takes, from `frame` on; 0 switches at once */
  readonly fade: number;
}

export interface StyleSchedule {
  /** styles[0] is the style before the first switch */
  readonly styles: readonly ScheduledStyle[];
  /** in order of frame, the fades not overlapping the next switch */
  readonly switches: readonly StyleSwitch[];
}

/** A frame's style: `from` alone at t = 0, `to` mixed in by t during a crossfade. */
export interface FrameStyle {
  readonly from: number;
  readonly to: number;
  readonly t: number;
}

/**
 * The k-th frame (from 0) of an F-frame crossfade takes t = (k + 1) / (F + 1) of the new style:
 * neither end is a frame of the fade, so the steps are even from the last frame of the old style
 * to the first frame of the new one alone.
 */
export function frameStyle(schedule: StyleSchedule, index: number): FrameStyle {
  let current = 0;
  for (const at of schedule.switches) {
    if (index < at.frame) break;
    const k = index - at.frame;
    if (k < at.fade) return { from: current, to: at.style, t: (k + 1) / (at.fade + 1) };
    current = at.style;
  }
  return { from: current, to: current, t: 0 };
}

/** The switches without a crossfade: the temporal stage starts afresh at each. */
export const hardSwitches = (schedule: StyleSchedule | undefined): number[] => (schedule?.switches ?? []).filter((at) => at.fade === 0).map((at) => at.frame);

/** The two networks' outputs mixed, t · b + (1 − t) · a, rounded. */
export function mixOutputs(a: RgbFrame, b: RgbFrame, t: number): RgbFrame {
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(t * b.data[i] + (1 - t) * a.data[i]);
  return { ...a, data: out };
}

/** What a scheduled stylizer runs: a style's network, or (pictures) Magenta's transformer with any style vector. */
export interface ScheduledNetworks {
  run(style: number, frames: RgbFrame[]): Promise<RgbFrame[]>;
  /** the style's vector where it is a picture: a crossfade between two pictures interpolates their vectors */
  vector(style: number): Float32Array | undefined;
  runVector(vector: Float32Array, frames: RgbFrame[]): Promise<RgbFrame[]>;
}

/**
 * Each frame through its style: frames alike (one style, or one crossfade's vector) go as one
 * batch; a crossfade between pictures runs the transformer on the interpolated vector, any other
 * crossfade mixes the two networks' outputs.
 */
export async function stylizeScheduled(schedule: StyleSchedule, networks: ScheduledNetworks, frames: RgbFrame[]): Promise<RgbFrame[]> {
  const groups = new Map<string, { run: (frames: RgbFrame[]) => Promise<RgbFrame[]>; frames: RgbFrame[]; outputs?: RgbFrame[] }>();
  const wants = frames.map((frame) => {
    const { from, to, t } = frameStyle(schedule, frame.index);
    const [a, b] = [networks.vector(from), networks.vector(to)];
    const keys = t === 0 ? [`style ${from}`] : a && b ? [`${from}→${to} at ${t}`] : [`style ${from}`, `style ${to}`];
    keys.forEach((key, i) => {
      const style = i === 0 ? from : to;
      const run = t > 0 && a && b ? (batch: RgbFrame[]) => networks.runVector(blendVectors(a, b, t), batch) : (batch: RgbFrame[]) => networks.run(style, batch);
      const group = groups.get(key) ?? { run, frames: [] };
      group.frames.push(frame);
      groups.set(key, group);
    });
    return { keys, t };
  });
  await Promise.all([...groups.values()].map(async (group) => void (group.outputs = await group.run(group.frames))));
  const taken = new Map<string, number>();
  const next = (key: string) => {
    const n = taken.get(key) ?? 0;
    taken.set(key, n + 1);
    return groups.get(key)!.outputs![n];
  };
  return wants.map(({ keys, t }) => (keys.length === 1 ? next(keys[0]) : mixOutputs(next(keys[0]), next(keys[1]), t)));
}

