// A fixed set of inference threads; each call goes to an idle one, or waits for one.
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import type { RgbFrame } from '../frame.js';
import type { BackendChoice } from './backend.js';
import type { ModelWeights } from './model-files.js';
import type { WorkerReply, WorkerSetup } from './inference-worker.js';

interface Slot {
  worker: Worker;
  pending?: { resolve: (frames: RgbFrame[]) => void; reject: (err: Error) => void };
}

export class WorkerPool {
  private readonly idle: Slot[] = [];
  private readonly waiting: Array<{ resolve: (slot: Slot) => void; reject: (err: Error) => void }> = [];
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  private constructor() {}

  static async start(size: number, backend: BackendChoice, weights: ModelWeights): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const url = new URL('./inference-worker.js', import.meta.url);
    await Promise.all(
      Array.from({ length: size }, async () => {
        const worker = new Worker(url, { workerData: { backend, weights } satisfies WorkerSetup });
        const slot: Slot = { worker };
        pool.slots.push(slot);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', (reply: WorkerReply) => ('fatal' in reply ? reject(new UserError(`inference worker failed to start: ${reply.fatal}`)) : resolve()));
          worker.once('error', reject);
        });
        worker.on('message', (reply: WorkerReply) => pool.settle(slot, reply));
        worker.on('error', (err) => pool.fail(slot, err));
        worker.on('exit', (code) => pool.fail(slot, new Error(`inference worker exited with code ${code}`)));
        pool.release(slot);
      }),
    ).catch(async (err) => {
      await pool.close();
      throw err;
    });
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

  /** Stylizes one batch on the next free thread. The input is copied (the temporal stage still needs it). */
  async stylize(frames: RgbFrame[]): Promise<RgbFrame[]> {
    if (this.closed) throw new Error('the worker pool is closed');
    if (this.slots.length === 0) throw new Error('every inference worker has stopped');
    const slot = this.idle.pop() ?? (await new Promise<Slot>((resolve, reject) => this.waiting.push({ resolve, reject })));
    return new Promise<RgbFrame[]>((resolve, reject) => {
      slot.pending = { resolve, reject };
      slot.worker.postMessage({ id: this.nextId++, frames });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
