// Reading and checking a model folder: manifest.json naming raw little-endian float32 files.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';

export interface Variable {
  shape: number[];
  values: Float32Array;
}

/** Variable_0 ... Variable_47 in order, as docs/models.md's v(i). */
export interface ModelWeights {
  name: string;
  variables: Variable[];
}

/** A conv layer of the network: index of its kernel; its shift and scale follow. */
export interface LayerSpec {
  index: number;
  kernel: number;
  stride: 1 | 2;
  relu: boolean;
  transposed: boolean;
}

const conv = (index: number, kernel: number, stride: 1 | 2, relu: boolean): LayerSpec => ({ index, kernel, stride, relu, transposed: false });

/** Johnson et al.'s TransformerNet, in the order of the variables (docs/models.md). */
export const ENCODER: LayerSpec[] = [conv(0, 9, 1, true), conv(3, 3, 2, true), conv(6, 3, 2, true)];
export const RESIDUAL_BLOCKS: Array<[LayerSpec, LayerSpec]> = [9, 15, 21, 27, 33].map((b) => [conv(b, 3, 1, true), conv(b + 3, 3, 1, false)]);
export const DECODER: LayerSpec[] = [
  { index: 39, kernel: 3, stride: 2, relu: true, transposed: true },
  { index: 42, kernel: 3, stride: 2, relu: true, transposed: true },
  conv(45, 9, 1, false),
];
export const VARIABLE_COUNT = 48;
export const variableName = (i: number): string => (i === 0 ? 'Variable' : `Variable_${i}`);

const MAX_VARIABLE_ELEMENTS = 16 * 1024 * 1024;

/** Checks that the shapes chain into the network, so a wrong model fails here rather than deep in TF. */
export function checkArchitecture(shapes: number[][], name: string): void {
  const bad = (why: string) => new UserError(`model '${name}' does not fit the TransformerNet: ${why}`);
  let channels = 3;
  const layer = (spec: LayerSpec) => {
    const k = shapes[spec.index];
    if (k.length !== 4 || k[0] !== spec.kernel || k[1] !== spec.kernel) {
      throw bad(`${variableName(spec.index)} has shape [${k}], expected a ${spec.kernel}x${spec.kernel} kernel`);
    }
    const [inC, outC] = spec.transposed ? [k[3], k[2]] : [k[2], k[3]];
    if (inC !== channels) throw bad(`${variableName(spec.index)} takes ${inC} channels where the previous layer gives ${channels}`);
    for (const j of [spec.index + 1, spec.index + 2]) {
      if (shapes[j].length !== 1 || shapes[j][0] !== outC) throw bad(`${variableName(j)} has shape [${shapes[j]}], expected [${outC}]`);
    }
    channels = outC;
  };
  ENCODER.forEach(layer);
  const trunk = channels;
  for (const [a, b] of RESIDUAL_BLOCKS) {
    layer(a);
    layer(b);
    if (channels !== trunk) throw bad('a residual block changes the channel count');
  }
  DECODER.forEach(layer);
  if (channels !== 3) throw bad(`the last layer gives ${channels} channels, not 3 (RGB)`);
}

/** Loads and validates a model folder. Never reads outside it. */
export async function loadModelWeights(dir: string, name = basename(dir)): Promise<ModelWeights> {
  const manifestPath = join(dir, 'manifest.json');
  let manifest: Record<string, { filename?: unknown; shape?: unknown }>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is missing' : 'it is not valid JSON';
    throw new UserError(`model '${name}': cannot read ${manifestPath}: ${why}`);
  }
  if (typeof manifest !== 'object' || manifest === null) throw new UserError(`model '${name}': ${manifestPath} is not a JSON object`);

  const shapes: number[][] = [];
  const files: string[] = [];
  for (let i = 0; i < VARIABLE_COUNT; i++) {
    const entry = manifest[variableName(i)];
    if (!entry) throw new UserError(`model '${name}': ${manifestPath} has no ${variableName(i)}`);
    const { filename, shape } = entry;
    if (typeof filename !== 'string' || filename !== basename(filename) || filename.startsWith('.') || filename.includes('\\')) {
      throw new UserError(`model '${name}': ${variableName(i)} names the file '${String(filename)}', which is not a plain file name inside the model folder`);
    }
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 4 || !shape.every((d) => Number.isInteger(d) && d > 0 && d <= 4096)) {
      throw new UserError(`model '${name}': ${variableName(i)} has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (shape.reduce((a: number, b: number) => a * b, 1) > MAX_VARIABLE_ELEMENTS) {
      throw new UserError(`model '${name}': ${variableName(i)} has an absurd shape [${shape}]`);
    }
    shapes.push(shape as number[]);
    files.push(filename);
  }
  checkArchitecture(shapes, name);

  const variables = await Promise.all(
    shapes.map(async (shape, i) => {
      const path = join(dir, files[i]);
      const expected = shape.reduce((a, b) => a * b, 1) * 4;
      const size = await stat(path).then((s) => s.size, () => -1);
      if (size < 0) throw new UserError(`model '${name}': ${path} is missing`);
      if (size !== expected) throw new UserError(`model '${name}': ${path} has ${size} bytes, but shape [${shape}] needs ${expected}`);
      const bytes = await readFile(path);
      // Copy into an aligned buffer: the file's Buffer may sit at an odd offset in a shared pool.
      const values = new Float32Array(expected / 4);
      new Uint8Array(values.buffer).set(bytes);
      if (!values.every(Number.isFinite)) throw new UserError(`model '${name}': ${path} contains NaN or infinite values`);
      return { shape, values };
    }),
  );
  return { name, variables };
}

/**
 * The weights' identity by content (SHA-256 of every variable's shape and values, in order): a
 * model retrained into the same folder is another model.
 */
export function weightsDigest(weights: ModelWeights): string {
  const hash = createHash('sha256');
  for (const { shape, values } of weights.variables) {
    hash.update(JSON.stringify(shape));
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}
