// What went wrong on the GPU, from ONNX Runtime's or Dawn's message, and the one line the user gets.
// Out of memory is retried with smaller batches (the network's memory grows with the batch); a
// lost adapter or a shader that does not compile stops the render: its finished parts are kept and
// the same command resumes, on the GPU or, with --backend onnx, on the CPU.
import { UserError } from '../errors.js';

export type GpuFault = 'memory' | 'lost' | 'shader';

const FAULTS: Array<[GpuFault, RegExp]> = [
  ['memory', /out of memory|OutOfMemory|failed to allocate|allocation failed|exceeds the max/i],
  ['lost', /device (was )?lost|DeviceLost|adapter (was )?lost|inference worker exited/i],
  ['shader', /shader|WGSL|compil|CreateComputePipeline|pipeline creation/i],
];

export function gpuFault(message: string): GpuFault | undefined {
  return FAULTS.find(([, pattern]) => pattern.test(message))?.[0];
}

const RESUME = 'the finished parts are kept: run the same command again to resume (add --backend onnx to finish on the CPU)';

/** The line for a fault that ends the render. */
export function gpuFaultError(fault: GpuFault | undefined, message: string, frames: { width: number; height: number }): UserError {
  const first = message.split('\n')[0];
  if (fault === 'memory') return new UserError(`the GPU ran out of memory for a single ${frames.width}x${frames.height} frame (${first}): ${RESUME}`);
  if (fault === 'lost') return new UserError(`the GPU adapter was lost mid-render (${first}): ${RESUME}`);
  if (fault === 'shader') return new UserError(`the GPU driver could not compile the network's shaders (${first}): update the GPU driver, or use --backend onnx`);
  return new UserError(`the network failed on the GPU (${first}): ${RESUME}`);
}

/**
 * Runs a batch; out of GPU memory, runs it again in halves, down to single frames, and keeps the
 * smaller size for the batches after (`limit`). Other faults end it with their line.
 */
export async function withGpuRetries<T extends { width: number; height: number }, R>(
  frames: T[],
  run: (frames: T[]) => Promise<R[]>,
  limit: { batch: number; onShrink?: (batch: number) => void },
): Promise<R[]> {
  if (frames.length > limit.batch) {
    const out: R[] = [];
    // limit.batch may shrink inside a slice: the next slice takes the new size.
    for (let i = 0; i < frames.length; ) {
      const slice = frames.slice(i, i + limit.batch);
      out.push(...(await withGpuRetries(slice, run, limit)));
      i += slice.length;
    }
    return out;
  }
  try {
    return await run(frames);
  } catch (err) {
    const message = String((err as Error).message ?? err);
    const fault = gpuFault(message);
    if (fault !== 'memory' || frames.length === 1) throw gpuFaultError(fault, message, frames[0]);
    limit.batch = Math.max(1, Math.floor(frames.length / 2));
    limit.onShrink?.(limit.batch);
    return withGpuRetries(frames, run, limit);
  }
}
