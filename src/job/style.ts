// The style option resolved: a catalogue network, a picture (a built-in one or any file) for
// Magenta's arbitrary-style networks, or a model folder. Checked before anything is read.
import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { OptionError } from '../errors.js';
import type { OptionValues } from '../options/table.js';
import { builtInPicture } from '../stylize/built-in-styles.js';
import { ARBITRARY_LICENCE, isStyleImage, readStyleImage } from '../stylize/magenta.js';
import { loadModelWeights, weightsDigest, type ModelWeights } from '../stylize/model-files.js';
import { styleEntry, type StyleLicence } from '../stylize/model-store.js';

export type StyleChoice =
  | { readonly kind: 'catalogue'; readonly name: string; readonly label: string; readonly licence: StyleLicence }
  /** a picture's style vector, mixed with the content's own by `strength` (Magenta) */
  | { readonly kind: 'picture'; readonly path: string; readonly label: string; readonly strength: number; readonly licence: StyleLicence }
  /** a model folder (manifest.json + float32 files); its licence is its owner's */
  | { readonly kind: 'model'; readonly dir: string; readonly label: string; readonly licence?: undefined };

/**
 * `style` is the table's value (its default filled in); `given` says whether the caller named one,
 * which names the output of a model folder's render.
 */
export function chooseStyle(values: Pick<OptionValues, 'style' | 'styleStrength' | 'model' | 'styleAt'> & { style: string }, given: boolean): StyleChoice {
  const { style, styleStrength, model } = values;
  const pictureOf = (name: string) => builtInPicture(name) ?? (isStyleImage(name) ? name : undefined);
  const picture = model ? undefined : pictureOf(style);
  const choice: StyleChoice = model
    ? { kind: 'model', dir: model, label: given ? labelOf(style) : basename(resolve(model)) }
    : picture
      ? { kind: 'picture', path: picture, label: labelOf(style), strength: styleStrength ?? 1, licence: ARBITRARY_LICENCE }
      : { kind: 'catalogue', name: style, label: style, licence: styleEntry(style).licence };
  // A schedule's pictures take it too, whatever the style before the first switch.
  if (styleStrength !== undefined && choice.kind !== 'picture' && !values.styleAt?.some((at) => !isModelFolder(at.style) && pictureOf(at.style))) {
    throw new OptionError('{styleStrength} applies to a picture style (a built-in one such as hokusai, {style} painting.jpg, or a {styleAt} switch to one), not to a catalogue network or a {model}');
  }
  return choice;
}

/** A {styleAt} switch's style names a model folder where it is a folder holding manifest.json. */
export const isModelFolder = (style: string): boolean => existsSync(join(style, 'manifest.json'));

/** A model folder's weights, named as the folder. */
export const modelWeights = (choice: Extract<StyleChoice, { kind: 'model' }>): Promise<ModelWeights> => loadModelWeights(choice.dir, basename(resolve(choice.dir)));

/** The style's name in output file names: a picture file's name without its extension. */
const labelOf = (style: string): string => (isStyleImage(style) ? basename(style, extname(style)) : style);

/**
 * How plan.json and the parts folder name what the pixels depend on: a picture by its bytes (an
 * edited picture is another style; this also checks it is a readable picture of sane size), a model
 * folder by its weights' SHA-256.
 */
export async function styleIdentity(choice: StyleChoice, weights?: ModelWeights): Promise<{ style?: string; styleStrength?: number; model?: string }> {
  if (choice.kind === 'catalogue') return { style: choice.name, styleStrength: undefined, model: undefined };
  if (choice.kind === 'picture') {
    const { sha256 } = await readStyleImage(choice.path);
    return { style: `picture ${basename(choice.path)} (sha256 ${sha256})`, styleStrength: choice.strength, model: undefined };
  }
  return { style: undefined, styleStrength: undefined, model: `${basename(resolve(choice.dir))} (weights sha256 ${weightsDigest(weights ?? (await modelWeights(choice)))})` };
}
