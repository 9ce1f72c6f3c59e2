// A render is cut into parts on a fixed grid of frames. Shards are runs of whole parts, and a
// resumed render starts at a part boundary, so every part is encoded from the same frames
// whichever machine or run makes it: the joined video is the one a single run would have written.
import { invalidOption, OptionError } from '../errors.js';

export interface FrameSpan {
  /** first frame, 0-based in the input */
  start: number;
  /** inclusive */
  end: number;
}

export interface Part extends FrameSpan {
  index: number;
}

export const spanLength = (span: FrameSpan): number => span.end - span.start + 1;

/**
 * Parts of ten seconds, shorter where that leaves fewer than 16 parts (so short clips still split
 * across machines), never under one second (each part starts with a keyframe).
 */
export function defaultPartLength(frameCount: number, fps: number): number {
  const second = Math.max(1, Math.round(fps));
  return Math.max(second, Math.min(10 * second, Math.ceil(frameCount / 16)));
}

export function partsOf(range: FrameSpan, partLength: number): Part[] {
  const parts: Part[] = [];
  for (let start = range.start, index = 0; start <= range.end; start += partLength, index++) {
    parts.push({ index, start, end: Math.min(range.end, start + partLength - 1) });
  }
  return parts;
}

export interface ShardSpec {
  /** 0-based; undefined until resolved from the environment for "auto/N" */
  index: number;
  count: number;
}

/** Where farms put an array task's index: Slurm, Kubernetes Indexed Jobs, AWS Batch. */
export const SHARD_INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;

/** "I/N" (0-based) or "auto/N", which takes I from the farm's environment. */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  const match = /^\s*(\d+|auto)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw invalidOption('shard', text, 'write I/N (0-based, e.g. 0/3) or auto/N');
  const count = Number(match[2]);
  if (!(count >= 1 && count <= 100_000)) throw invalidOption('shard', text, 'the shard count must be from 1 to 100000');
  let index: number;
  if (match[1] === 'auto') {
    const found = SHARD_INDEX_VARIABLES.find((name) => env[name] !== undefined && env[name] !== '');
    if (!found) throw invalidOption('shard', `auto/${count}`, `none of ${SHARD_INDEX_VARIABLES.join(', ')} is set: give the index yourself ({shard} 0/${count})`);
    const value = env[found]!;
    if (!/^\d+$/.test(value)) throw invalidOption('shard', `auto/${count}`, `${found}=${value} is not a shard index`);
    index = Number(value);
    if (index >= count) throw invalidOption('shard', `auto/${count}`, `${found}=${index}, but shards count from 0 to ${count - 1}; is the array sized ${count}?`);
  } else {
    index = Number(match[1]);
    if (index >= count) throw invalidOption('shard', text, `shards count from 0, so the last of ${count} is ${count - 1}/${count}`);
  }
  return { index, count };
}

/** Shard I of N: a contiguous run of whole parts, the runs as even as the parts allow. */
export function shardParts(parts: Part[], shard: ShardSpec): Part[] {
  if (shard.count > parts.length) {
    throw new OptionError(
      `{shard} ${shard.index}/${shard.count}: this render has only ${parts.length} part(s) of up to ${spanLength(parts[0])} frames: use at most ${parts.length} shards, or shorter parts ({partFrames})`,
    );
  }
  const from = Math.floor((shard.index * parts.length) / shard.count);
  const to = Math.floor(((shard.index + 1) * parts.length) / shard.count);
  return parts.slice(from, to);
}

/** Contiguous runs of parts, each rendered in one pass of the pipeline. */
export function contiguousRuns(parts: Part[]): Part[][] {
  const runs: Part[][] = [];
  for (const part of parts) {
    const last = runs.at(-1);
    if (last && last.at(-1)!.index + 1 === part.index) last.push(part);
    else runs.push([part]);
  }
  return runs;
}

/**
 * Frames the temporal stage runs before a part that does not start its range, so that its state
 * there matches an uninterrupted run's: the blend forgets its start by the strength per frame, and
 * after this many frames by a thousandth or better. Capped, as a strength of 1 never forgets.
 */
export function warmupFrames(strength: number): number {
  if (strength <= 0) return 0;
  if (strength >= 1) return MAX_WARMUP_FRAMES;
  return Math.min(MAX_WARMUP_FRAMES, Math.ceil(Math.log(1e-3) / Math.log(strength)));
}

export const MAX_WARMUP_FRAMES = 150;
