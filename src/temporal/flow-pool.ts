// The input analysis (flows, masks, colours: input-analysis.ts) computed ahead, in worker threads,
// while the network stylizes the same frames: the temporal stage then only warps and blends.
// Threads, not processes (as the inference pool has): OpenCV here is wasm, which a terminated
// thread simply stops running. The design and its figures: docs/gpu.md, The flow computed ahead.
import { Worker } from 'node:worker_threads';
import type { RgbFrame } from '../frame.js';
import { startWorkers, workerReady } from '../worker-start.js';
import type { FlowJob, FlowReply } from './flow-worker.js';
import type { AnalysedFrame, InputAnalyser } from './input-analysis.js';

/** At most this many flow workers: each holds its own OpenCV, and more frames than this rarely wait for flow at once. */
export const MAX_FLOW_WORKERS = 8;

/**
 * Flow workers for a render: the cores the network leaves (`networkCores`: its inference threads
 * on a CPU backend, one for the process that feeds a GPU), less the main thread; at least one, so
 * that the main thread's sequential part is the warp and the blend alone.
 */
export function flowWorkers(cores: number, networkCores: number): number {
  return Math.max(1, Math.min(MAX_FLOW_WORKERS, cores - networkCores - 1));
}

/**
 * The worker thread: flow-worker.js beside this module in the package; run from the sources (the
 * tests), flow-worker.ts, with the tests' TypeScript loader, which the command line run from the
 * sources adds to process.execArgv after start, where a thread would not inherit it.
 */
function startWorker(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  return new Worker(new URL(fromSources ? './flow-worker.ts' : './flow-worker.js', import.meta.url), fromSources ? { execArgv: process.execArgv } : {});
}

interface Job {
  serial: number;
  frame: RgbFrame;
  previous?: { serial: number; frame: RgbFrame };
  resolve: (done: AnalysedFrame) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** the serial of the last frame it analysed: it holds that frame's grey image */
  last?: number;
  job?: Job;
}

export class FlowPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private serial = 0;
  private failure?: Error;

  private constructor() {}

  /** Starts `size` workers (1 or more) and waits until each has its OpenCV. */
  static async start(size: number): Promise<FlowPool> {
    const pool = new FlowPool();
    await startWorkers(
      size,
      async () => {
        const worker = startWorker();
        const slot: Slot = { worker };
        pool.slots.push(slot);
        await workerReady(worker, (reason) => new Error(`a flow worker failed to start: ${reason}`));
        worker.on('message', (reply: FlowReply) => pool.settle(slot, reply));
        worker.on('error', (err) => pool.fail(err));
        worker.on('exit', (code) => pool.fail(new Error(`a flow worker exited with code ${code}`)));
      },
      () => pool.close(),
    );
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** A run's analyser: each frame added is analysed with the one added before it in this run. */
  analyser(): InputAnalyser {
    let previous: { serial: number; frame: RgbFrame } | undefined;
    const results: Array<Promise<AnalysedFrame>> = [];
    return {
      add: (frame) => {
        const serial = this.serial++;
        const done = new Promise<AnalysedFrame>((resolve, reject) => this.queue.push({ serial, frame, previous, resolve, reject }));
        done.catch(() => undefined); // taken in order later; this only keeps it from counting as unhandled meanwhile
        results.push(done);
        previous = { serial, frame };
        this.dispatch();
      },
      take: () => results.shift() ?? Promise.reject(new Error('no frame was added to be analysed')),
    };
  }

  /** Hands waiting jobs to idle workers, the next frame of a run preferably to the worker that holds the one before it. */
  private dispatch(): void {
    if (this.failure) for (const job of this.queue.splice(0)) job.reject(this.failure);
    while (this.queue.length) {
      const idle = this.slots.filter((s) => !s.job);
      if (!idle.length) return;
      const job = this.queue.shift()!;
      const slot = idle.find((s) => job.previous && s.last === job.previous.serial) ?? idle[0];
      slot.job = job;
      // Copies, transferred: the decoded frame stays with the main thread, for the stage and the encoder.
      const frame = { ...job.frame, data: job.frame.data.slice() };
      const previous = job.previous && slot.last !== job.previous.serial ? { ...job.previous.frame, data: job.previous.frame.data.slice() } : undefined;
      const message: FlowJob = { serial: job.serial, frame, previousSerial: job.previous?.serial, previous };
      slot.worker.postMessage(message, [frame.data.buffer as ArrayBuffer, ...(previous ? [previous.data.buffer as ArrayBuffer] : [])]);
      slot.last = job.serial;
    }
  }

  private settle(slot: Slot, reply: FlowReply): void {
    const job = slot.job;
    if (!('serial' in reply) || !job || job.serial !== reply.serial) return;
    slot.job = undefined;
    if (reply.error) job.reject(new Error(`the flow of frame ${job.frame.index} failed: ${reply.error}`));
    else job.resolve({ analysis: reply.analysis!, seconds: reply.seconds! });
    this.dispatch();
  }

  /** A worker that errs or exits fails the render: its frames cannot be analysed elsewhere in order. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const slot of this.slots) slot.job?.reject(err);
    this.dispatch();
  }

  /** Ends every worker; frames still waiting are refused. */
  async close(): Promise<void> {
    this.fail(new Error('the flow pool is closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
