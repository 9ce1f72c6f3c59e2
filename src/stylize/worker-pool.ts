// A fixed set of inference threads (or processes); each call goes to an idle one, or waits for one.
// ONNX Runtime gets processes: it aborts the whole process when a worker thread holding a session
// is terminated mid-run (as on Ctrl-C), while a child process can simply be killed.
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { startWorkers, workerReady } from '../worker-start.js';
import type { RgbFrame } from '../frame.js';
import type { BackendChoice } from './backend.js';
import type { ModelWeights } from './model-files.js';
import type { OnnxGraph } from './onnx-net.js';
import type { TfliteStyle } from './inference-worker.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './inference-worker.js';
import type { Int8Settings } from './onnx-model.js';

/** What the pool needs of a worker thread or a child process. */
interface InferenceWorker {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (reply: WorkerReply) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'exit', listener: (code: number | null) => void): void;
  once(event: 'message', listener: (reply: WorkerReply) => void): void;
  once(event: 'error', listener: (err: Error) => void): void;
  terminate(): Promise<unknown>;
}

function startThread(url: URL, setup: WorkerSetup): InferenceWorker {
  return new Worker(url, { workerData: setup }) as unknown as InferenceWorker;
}

function startProcess(url: URL, setup: WorkerSetup): InferenceWorker {
  // 'advanced' serialization carries typed arrays as they are.
  const child = fork(url, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(setup);
  return {
    postMessage: (message) => child.send(message as object),
    on: (event: string, listener: (...args: any[]) => void) => void child.on(event, listener), // eslint-disable-line @typescript-eslint/no-explicit-any
    once: (event: string, listener: (...args: any[]) => void) => void child.once(event, listener), // eslint-disable-line @typescript-eslint/no-explicit-any
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  } as InferenceWorker;
}

/**
 * The worker module beside this one: inference-worker.js in the package; run from the sources (the
 * tests), inference-worker.ts, which the child loads through the tests' TypeScript loader, inherited
 * with this process's execArgv.
 */
function workerUrl(): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  return new URL(fromSources ? './inference-worker.ts' : './inference-worker.js', import.meta.url);
}

interface Slot {
  worker: InferenceWorker;
  pending?: { resolve: (frames: RgbFrame[]) => void; reject: (err: Error) => void };
}

export class WorkerPool {
  private readonly idle: Slot[] = [];
  private readonly waiting: Array<{ resolve: (slot: Slot) => void; reject: (err: Error) => void }> = [];
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  private constructor() {}

  static async start(size: number, backend: BackendChoice, weights: ModelWeights | OnnxGraph | TfliteStyle, options: { threads?: number; processes?: boolean; int8?: Int8Settings } = {}): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const url = workerUrl();
    const setup: WorkerSetup = { backend, weights, threads: options.threads ?? 1, int8: options.int8 };
    await startWorkers(
      size,
      async () => {
        const worker = options.processes ? startProcess(url, setup) : startThread(url, setup);
        const slot: Slot = { worker };
        pool.slots.push(slot);
        await workerReady(worker, (reason) => new UserError(`inference worker failed to start: ${reason}`));
        worker.on('message', (reply: WorkerReply) => pool.settle(slot, reply));
        worker.on('error', (err) => pool.fail(slot, err));
        worker.on('exit', (code) => pool.fail(slot, new Error(`inference worker exited with code ${code}`)));
        pool.release(slot);
      },
      () => pool.close(),
    );
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else this.idle.push(slot);
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    if (!('id' in reply) || !slot.pending) return;
    const { resolve, reject } = slot.pending;
    slot.pending = undefined;
    this.release(slot);
    if (reply.error) reject(new Error(`inference failed: ${reply.error}`));
    else resolve(reply.frames!);
  }

  /** A worker that errs or exits leaves the pool; when none is left, whoever waits is told. */
  private fail(slot: Slot, err: Error): void {
    if (this.closed || !this.slots.includes(slot)) return;
    slot.pending?.reject(err);
    slot.pending = undefined;
    this.slots.splice(this.slots.indexOf(slot), 1);
    const idle = this.idle.indexOf(slot);
    if (idle >= 0) this.idle.splice(idle, 1);
    if (this.slots.length === 0) for (const w of this.waiting.splice(0)) w.reject(err);
  }

  /**
   * Stylizes one batch on the next free thread, with `vector` as a picture style's vector where
   * given. The input is copied (the temporal stage still needs it).
   */
  async stylize(frames: RgbFrame[], vector?: Float32Array): Promise<RgbFrame[]> {
    if (this.closed) throw new Error('the worker pool is closed');
    if (this.slots.length === 0) throw new Error('every inference worker has stopped');
    const slot = this.idle.pop() ?? (await new Promise<Slot>((resolve, reject) => this.waiting.push({ resolve, reject })));
    return new Promise<RgbFrame[]>((resolve, reject) => {
      slot.pending = { resolve, reject };
      slot.worker.postMessage({ id: this.nextId++, frames, vector } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
