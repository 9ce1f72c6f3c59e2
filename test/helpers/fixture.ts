import { join } from 'node:path';
import { makeClip, tempDir } from './media.js';
import { writeTinyModel } from './tiny-model.js';

/** A fresh folder with a tiny model in it and a test clip of the given name and size. */
export function tinyModelAndClip(name: string, size: { width: number; height: number; seconds: number }): { dir: string; model: string; clip: string } {
  const dir = tempDir();
  return { dir, model: writeTinyModel(join(dir, 'tiny')), clip: makeClip(join(dir, name), size) };
}
