// Finding a style's files: an explicit folder, $STYLIZE_VIDEO_MODELS, the user cache, or a
// verified download into that cache.
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import catalogue from './catalogue.json' with { type: 'json' };
import { OptionFailure, UsageError, UserError } from '../errors.js';
import { BUILT_IN_STYLES } from './built-in-styles.js';

/** What a style's weights may be used for: the ml5 repository is MIT, but six of its styles are Logan Engstrom's checkpoints under his own terms. */
export interface StyleLicence {
  name: string;
  /** false: research use only; anything else (a render farm's work included) needs the author's permission */
  commercialUse: boolean;
  terms: string;
  url: string;
}

export interface StyleEntry {
  name: string;
  credit: string;
  licence: StyleLicence;
  files: Record<string, { size: number; sha256: string }>;
}

export type ModelSource = 'option' | 'env' | 'cache' | 'download' | 'package';

export interface ResolvedModel {
  style: string;
  dir: string;
  source: ModelSource;
}

export interface DownloadProgress {
  style: string;
  receivedBytes: number;
  totalBytes: number;
}

const LICENCES: Record<string, StyleLicence> = catalogue.licences;
export const STYLES: StyleEntry[] = Object.entries(catalogue.styles).map(([name, s]) => ({ name, credit: s.credit, licence: LICENCES[s.licence], files: s.files }));

/** The one line a user of a research-only style is told, or undefined where any use is allowed. */
export function licenceNotice(style: string, licence: StyleLicence | undefined): string | undefined {
  if (!licence || licence.commercialUse) return undefined;
  return `style '${style}' is ${licence.name.replace(/: research use only$/, '')}: research use only, with attribution; commercial use (a render farm's work included) needs his permission: ${licence.url}`;
}
/** The public address of the files; STYLIZE_VIDEO_MODEL_URL points at a mirror (a farm's own, or a test's). */
export const modelBaseUrl = (): string => process.env.STYLIZE_VIDEO_MODEL_URL || catalogue.baseUrl;
export const MODEL_SOURCE = catalogue.source;

export function modelCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'stylize-video', 'models');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

export function styleEntry(style: string): StyleEntry {
  const entry = STYLES.find((s) => s.name === style);
  if (entry) return entry;
  const names = [...BUILT_IN_STYLES, ...STYLES].map((s) => s.name);
  const nearest = names.sort((a, b) => editDistance(style, a) - editDistance(style, b))[0];
  throw new UsageError(`unknown style '${style}': did you mean '${nearest}'? (stylize-video styles lists them all; a picture file works too)`);
}

const exists = (path: string) => access(path).then(() => true, () => false);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** True when every file of the style is in the folder with the catalogue's checksum. */
async function verifiedAgainstCatalogue(dir: string, entry: StyleEntry): Promise<boolean> {
  for (const [file, meta] of Object.entries(entry.files)) {
    const bytes = await readFile(join(dir, file)).catch(() => undefined);
    if (!bytes || bytes.length !== meta.size || sha256(bytes) !== meta.sha256) return false;
  }
  return true;
}

export async function isCached(style: string): Promise<boolean> {
  return verifiedAgainstCatalogue(join(modelCacheDir(), style), styleEntry(style));
}

async function download(entry: StyleEntry, onProgress?: (p: DownloadProgress) => void): Promise<string> {
  const cache = modelCacheDir();
  const finalDir = join(cache, entry.name);
  // Files land in a private folder first; the rename makes the model appear whole or not at all,
  // and two processes filling the cache at once each rename a complete copy.
  const staging = join(cache, `.${entry.name}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  const totalBytes = Object.values(entry.files).reduce((n, f) => n + f.size, 0);
  let receivedBytes = 0;
  try {
    for (const [file, meta] of Object.entries(entry.files)) {
      const url = `${modelBaseUrl()}/${entry.name}/${file}`;
      let bytes: Uint8Array;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new OptionFailure(
          `style '${entry.name}' is not in the cache and could not be downloaded from ${url} (${cause}): ` +
            `connect to the internet, or set STYLIZE_VIDEO_MODELS to a folder holding ${entry.name}/manifest.json, or give a model folder ({model})`,
        );
      }
      if (bytes.length !== meta.size || sha256(bytes) !== meta.sha256) {
        throw new UserError(`style '${entry.name}': ${url} does not match its catalogue checksum; the download was discarded, try again`);
      }
      await writeFile(join(staging, file), bytes);
      receivedBytes += bytes.length;
      onProgress?.({ style: entry.name, receivedBytes, totalBytes });
    }
    // rename() onto a folder that has files fails, so a finished copy another process put there
    // first, and may be reading now, is never replaced; only a damaged one is moved aside.
    const installed = await rename(staging, finalDir).then(() => true, () => false);
    if (!installed && !(await verifiedAgainstCatalogue(finalDir, entry))) {
      const stale = join(cache, `.${entry.name}.stale-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(finalDir, stale).catch(() => undefined);
      await rename(staging, finalDir).catch(async (err) => {
        if (!(await verifiedAgainstCatalogue(finalDir, entry))) throw err;
      });
      await rm(stale, { recursive: true, force: true });
    }
    return finalDir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Resolution order: `--model <dir>`, then `$STYLIZE_VIDEO_MODELS/<style>`, then the user cache
 * (checked against the catalogue's SHA-256), then a download into the cache.
 */
export async function resolveModel(
  style: string,
  options: { modelDir?: string; onDownload?: (p: DownloadProgress) => void } = {},
): Promise<ResolvedModel> {
  if (options.modelDir) {
    if (!(await exists(join(options.modelDir, 'manifest.json')))) {
      throw new OptionFailure(`{model} ${options.modelDir}: no manifest.json there; point it at one style's folder`);
    }
    return { style, dir: options.modelDir, source: 'option' };
  }
  return (await findStyle(style)) ?? { style, dir: await download(styleEntry(style), options.onDownload), source: 'download' };
}

/** A catalogue style where it is found without a download: $STYLIZE_VIDEO_MODELS/<style>, then the verified cache. */
export async function findStyle(style: string): Promise<ResolvedModel | undefined> {
  const entry = styleEntry(style);
  const shelf = process.env.STYLIZE_VIDEO_MODELS;
  if (shelf && (await exists(join(shelf, style, 'manifest.json')))) return { style, dir: join(shelf, style), source: 'env' };
  const cached = join(modelCacheDir(), style);
  if (await verifiedAgainstCatalogue(cached, entry)) return { style, dir: cached, source: 'cache' };
  return undefined;
}
