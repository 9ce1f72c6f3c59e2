// The picture styles that ship inside the package (assets/styles, public-domain paintings), run by
// Magenta's arbitrary-style networks (assets/magenta, Apache-2.0): they work offline and their
// output is free for any use. assets/README.md gives each file's source and licence.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package's assets folder: two levels above this module in src/ and in dist/ alike. */
export const ASSETS_DIR = fileURLToPath(new URL('../../assets/', import.meta.url));

export interface BuiltInStyle {
  name: string;
  /** the painting, as credited */
  credit: string;
  /** the picture file in assets/styles */
  file: string;
}

export const BUILT_IN_STYLES: readonly BuiltInStyle[] = [
  { name: 'hokusai', credit: 'Katsushika Hokusai, The Great Wave off Kanagawa (c. 1831), public domain', file: 'hokusai-great-wave.jpg' },
  { name: 'munch', credit: 'Edvard Munch, The Scream (1893), public domain', file: 'munch-the-scream.jpg' },
  { name: 'picabia', credit: 'Francis Picabia, Udnie (1913), public domain', file: 'picabia-udnie.jpg' },
  { name: 'turner', credit: 'J. M. W. Turner, The Wreck of a Transport Ship (c. 1810), public domain', file: 'turner-shipwreck-of-the-minotaur.jpg' },
];

/** The picture file of a built-in style, or undefined for any other name. */
export function builtInPicture(name: string): string | undefined {
  const style = BUILT_IN_STYLES.find((s) => s.name === name);
  return style && join(ASSETS_DIR, 'styles', style.file);
}

/** Where the package keeps Magenta's TF Lite files. */
export const packagedMagentaFile = (file: string): string => join(ASSETS_DIR, 'magenta', file);
