// Encodes a run of consecutive parts: frames before the run (the temporal warm-up) and after it
// (the temporal look-ahead) are dropped, each part gets its own encoder, and a part is renamed into
// place once its encoder has finished.
import { startEncoder, type Encoder, type EncoderOptions } from '../encode/encoder.js';
import type { RgbFrame } from '../frame.js';
import type { PendingOutput } from '../output.js';
import type { Part } from './part-plan.js';
import type { PartLocks } from './part-locks.js';
import type { PartsFolder } from './parts-folder.js';
import { writePartRecord } from './part-record.js';

/** Where the orchestrator hands each finished frame, with the input frame it came from. */
export interface FrameSink {
  write(frame: RgbFrame, input: RgbFrame): Promise<void>;
}

export interface PartWriter extends FrameSink {
  /** Waits for every part's encoder and puts the parts in place. */
  finish(): Promise<void>;
  /** Stops every encoder of this run and removes what they wrote. */
  abort(): Promise<void>;
}

/**
 * `shard` ("I/N") goes into each part's record, so that join can name who re-renders a damaged part;
 * `locks` are checked before each part is put in place, so a writer whose lock was taken over puts none.
 */
export function startPartWriter(folder: PartsFolder, run: Part[], encoding: Omit<EncoderOptions, 'path'>, shard: string | undefined, locks: Pick<PartLocks, 'assertHeld'>): PartWriter {
  let next = 0;
  let open: { part: Part; output: PendingOutput; encoder: Encoder } | undefined;
  const unfinished = new Set<{ output: PendingOutput; encoder: Encoder }>();
  // The next part's frames go on while the last one's encoder flushes.
  const closing: Array<Promise<void>> = [];
  let failure: unknown;

  return {
    async write(frame) {
      if (failure) throw failure;
      if (frame.index < run[0].start || frame.index > run.at(-1)!.end) return;
      if (!open) {
        const part = run[next++];
        if (!part || frame.index !== part.start) throw new Error(`frame ${frame.index} arrived where part ${part?.index} starts at ${part?.start}`);
        const output = await folder.reserve(part);
        const label = `the encoder of part ${part.index} (frames ${part.start}-${part.end})`;
        open = { part, output, encoder: startEncoder({ ...encoding, path: output.temporaryPath, intermediate: true, label }) };
        unfinished.add(open);
      }
      await open.encoder.write(frame);
      if (frame.index === open.part.end) {
        const closed = open;
        open = undefined;
        const finished = closed.encoder.finish().then(async () => {
          await locks.assertHeld(closed.part);
          // The record first: a part under its name always has one (a record without its part is a part missing).
          await writePartRecord(closed.output.path, closed.output.temporaryPath, closed.part, shard);
          await closed.output.commit();
          unfinished.delete(closed);
        });
        finished.catch((err: unknown) => void (failure ??= err));
        closing.push(finished);
      }
    },
    async finish() {
      if (open) throw new Error(`part ${open.part.index} ended early, at a frame before ${open.part.end}`);
      await Promise.all(closing);
      if (failure) throw failure;
    },
    async abort() {
      for (const { encoder, output } of unfinished) {
        encoder.abort();
        await output.discard();
      }
      unfinished.clear();
      await Promise.allSettled(closing);
    },
  };
}
