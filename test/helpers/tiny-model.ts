// A small random TransformerNet in the shared models' format (manifest.json + raw float32 files),
// so tests run the real loading code and network without the pretrained weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Shapes of the 48 variables for encoder widths c1, c2, c3 (the real network: 32, 64, 128). */
export function tinyShapes(c1 = 4, c2 = 8, c3 = 8): number[][] {
  const shapes: number[][] = [];
  const conv = (k: number, i: number, o: number) => shapes.push([k, k, i, o], [o], [o]);
  const convT = (i: number, o: number) => shapes.push([3, 3, o, i], [o], [o]);
  conv(9, 3, c1);
  conv(3, c1, c2);
  conv(3, c2, c3);
  for (let b = 0; b < 5; b++) {
    conv(3, c3, c3);
    conv(3, c3, c3);
  }
  convT(c3, c2);
  convT(c2, c1);
  conv(9, c1, 3);
  return shapes;
}

export function writeTinyModel(dir: string, seed = 1, shapes = tinyShapes()): string {
  mkdirSync(dir, { recursive: true });
  const rand = random(seed);
  const manifest: Record<string, { filename: string; shape: number[] }> = {};
  shapes.forEach((shape, i) => {
    const name = i === 0 ? 'Variable' : `Variable_${i}`;
    const count = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : 1;
    for (let j = 0; j < count; j++) {
      // kernels ~ He-scaled noise; shifts around 0; scales around 1
      values[j] = shape.length === 4 ? (rand() - 0.5) * Math.sqrt(12 / fanIn) : i % 3 === 1 ? (rand() - 0.5) * 0.2 : 0.5 + rand();
    }
    writeFileSync(join(dir, name), new Uint8Array(values.buffer));
    manifest[name] = { filename: name, shape };
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
