// One flow worker thread: its own OpenCV (wasm, loaded once), analysing input frames as the pool
// (flow-pool.ts) sends them, each with the frame before it in its run (input-analysis.ts).
import { parentPort } from 'node:worker_threads';
import type { RgbFrame } from '../frame.js';
import type { Gray } from './image.js';
import { analyseInput, cpuStageFlows, type InputAnalysis } from './input-analysis.js';
import { flowImage } from './motion.js';

export interface FlowJob {
  /** the frame's number in the pool's sequence, over every run */
  serial: number;
  /** its pixels: a copy of the decoded frame's, transferred */
  frame: RgbFrame;
  /** the serial of the frame before it in its run (none for a run's first) */
  previousSerial?: number;
  /** that frame's pixels, unless this worker analysed it last and still holds its grey image */
  previous?: RgbFrame;
}

export type FlowReply = { serial: number; analysis?: InputAnalysis; seconds?: number; error?: string } | { ready: true } | { fatal: string };

/** The buffers of an analysis the worker hands over: the main thread gets them without a copy. */
function transferables(analysis: InputAnalysis): ArrayBuffer[] {
  const { colours, pair } = analysis;
  const views = [colours, ...(pair ? [pair.back.backward.data, pair.back.mask, pair.ahead.backward.data, pair.ahead.mask] : [])];
  // Only buffers the views own whole (none shared, none twice): a transfer detaches all of a buffer.
  return [...new Set(views.filter((v) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength).map((v) => v.buffer as ArrayBuffer))];
}

if (parentPort) {
  const port = parentPort;
  try {
    const flows = await cpuStageFlows();
    // The grey image of the last frame analysed here: the next frame of its run pairs with it.
    let last: { serial: number; gray: Gray } | undefined;
    port.on('message', (job: FlowJob) => {
      try {
        const t0 = performance.now();
        let previous: Gray | undefined;
        if (job.previousSerial !== undefined) {
          previous = job.previous ? flowImage(job.previous) : last?.serial === job.previousSerial ? last.gray : undefined;
          if (!previous) throw new Error(`frame ${job.frame.index} came without the frame before it`);
        }
        const analysis = analyseInput(job.frame, previous, flows);
        last = { serial: job.serial, gray: analysis.gray };
        // The grey image stays here for the next pair: the main thread gets a copy.
        const reply: FlowReply = { serial: job.serial, analysis, seconds: (performance.now() - t0) / 1000 };
        port.postMessage(reply, transferables(analysis));
      } catch (err) {
        port.postMessage({ serial: job.serial, error: String((err as Error).message ?? err) } satisfies FlowReply);
      }
    });
    port.postMessage({ ready: true } satisfies FlowReply);
  } catch (err) {
    port.postMessage({ fatal: String((err as Error).message ?? err) } satisfies FlowReply);
  }
}
