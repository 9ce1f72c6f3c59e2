// Defaults a render and a preview share: the temporal strength and the output's name.
import { basename, dirname, extname, join } from 'node:path';
import { invalidOption } from './options/option-error.js';

// 0.7: on the flat-sky clip (BBB 20–22 s) 0.8 kept only 0.842 SSIM to the per-frame style (the bar is 0.85); 0.7 keeps 0.884 there
// and 0.940 on the clip with a cut, at 10% and 23% of the per-frame E_warp.
export const DEFAULT_TEMPORAL_STRENGTH = 0.7;

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
