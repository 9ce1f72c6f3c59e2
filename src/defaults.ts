// Defaults a render and a preview share: the temporal strength and the output's name.
import { basename, dirname, extname, join } from 'node:path';
import { invalidOption } from './options/option-error.js';

// 0.9: the largest share of the warped past a pixel takes; the blend weights (temporal/blend-weights.ts)
// take less where it would cost the style's structure (docs/temporal-method.md, The default strength).
export const DEFAULT_TEMPORAL_STRENGTH = 0.9;

/** The temporal option as a strength: the default for true or unset, 0 for false. */
export function temporalStrength(temporal: boolean | number | undefined): number {
  if (temporal === undefined || temporal === true) return DEFAULT_TEMPORAL_STRENGTH;
  if (temporal === false) return 0;
  if (!(temporal >= 0 && temporal <= 1)) throw invalidOption('temporal', temporal, 'give a strength between 0 and 1');
  return temporal;
}

/** `<input name>.<style><extension>` beside the input; videos default to .mp4, stills keep their own type. */
export function defaultOutputPath(input: string, style: string, extension = '.mp4'): string {
  return join(dirname(input), `${basename(input, extname(input))}.${style}${extension}`);
}
