// Outputs appear whole or not at all: ffmpeg and sharp write a hidden file beside the
// destination, which is renamed over it only once complete.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UserError } from './errors.js';
import { OptionError, OptionFailure } from './errors.js';

export interface PendingOutput {
  /** the destination */
  path: string;
  /** where the writer writes until commit() */
  temporaryPath: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

const exists = (path: string) => access(path).then(() => true, () => false);
const canonical = async (path: string) => realpath(path).catch(() => resolve(path));

const pending = new Set<string>();

/** Temporary files not yet committed; a signal handler removes them before exiting. */
export async function discardAllPending(): Promise<void> {
  await Promise.all([...pending].map((p) => rm(p, { force: true })));
  pending.clear();
}

/** The checks prepareOutput makes, for a writer that reserves its file later. */
export async function checkOutputPath(path: string, options: { input: string; overwrite?: boolean }): Promise<void> {
  if ((await canonical(path)) === (await canonical(options.input))) {
    throw new OptionError(`the output ${path} is the input: choose another output path ({output})`);
  }
  if (!options.overwrite && (await exists(path))) {
    throw new OptionError(`${path} already exists: pass {overwrite} to replace it, or choose another output ({output})`);
  }
  const dir = dirname(resolve(path));
  if (!(await exists(dir))) throw new UserError(`cannot write ${path}: the folder ${dir} does not exist`);
  // Said before any frame is stylized; access() reports a read-only file system even to root.
  const denied = await access(dir, constants.W_OK).then(() => undefined, (err: NodeJS.ErrnoException) => err.code);
  if (denied) {
    const why = denied === 'EROFS' ? 'the file system is read-only' : 'permission denied';
    throw new OptionFailure(`cannot write ${path}: ${why} in ${dir} (${denied}): write the output elsewhere ({output}), or make the folder writable`);
  }
}

export async function prepareOutput(path: string, options: { input: string; overwrite?: boolean }): Promise<PendingOutput> {
  await checkOutputPath(path, options);
  const dir = dirname(resolve(path));
  const temporaryPath = join(dir, `.${basename(path, extname(path))}.partial-${process.pid}-${randomBytes(3).toString('hex')}${extname(path)}`);
  pending.add(temporaryPath);
  return {
    path,
    temporaryPath,
    async commit() {
      await rename(temporaryPath, path);
      pending.delete(temporaryPath);
    },
    async discard() {
      await rm(temporaryPath, { force: true });
      pending.delete(temporaryPath);
    },
  };
}
