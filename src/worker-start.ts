// Starting a pool's workers (threads or processes) together: each answers its first message when
// ready, or `{ fatal }`; one that fails ends them all. The inference pool and the flow pool share it.

/** What starting needs of a worker: its first message, or its error. */
export interface StartingWorker {
  once(event: 'message', listener: (reply: unknown) => void): void;
  once(event: 'error', listener: (err: Error) => void): void;
}

/** Waits for the worker's first message: ready, or `{ fatal }`, made into an error by `refused`. */
export function workerReady(worker: StartingWorker, refused: (reason: string) => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (reply) => (reply && typeof reply === 'object' && 'fatal' in reply ? reject(refused(String(reply.fatal))) : resolve()));
    worker.once('error', reject);
  });
}

/** Runs `start` `count` times at once; if any fails, `close` ends what was started, and the error is thrown. */
export async function startWorkers(count: number, start: () => Promise<void>, close: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, start)).catch(async (err: unknown) => {
    await close();
    throw err;
  });
}
