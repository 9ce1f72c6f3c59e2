// A usage error about options, written once and told in the caller's words: `{temporal}` in the
// message is `temporal` to a library caller and `--temporal` on the command line.
import { UsageError, UserError } from '../errors.js';

/** How an option is named to whoever passed it: its API property, or its command-line flag. */
export type Spelling = (api: string) => string;

export const apiSpelling: Spelling = (api) => (api === 'overwrite' ? 'overwrite: true' : api);

export const spell = (template: string, spelling: Spelling): string => template.replace(/\{(\w+)\}/g, (_, api: string) => spelling(api));

export class OptionError extends UsageError {
  /**
   * @param template the message, each option written `{apiName}`
   * @param adviceTemplate what to do, without naming the option itself (commander names it)
   */
  constructor(
    readonly template: string,
    readonly adviceTemplate: string = template,
  ) {
    super(spell(template, apiSpelling));
    this.name = 'OptionError';
  }
}

/** A failure (not a usage error: exit 1) whose advice names options, `{apiName}` as in OptionError. */
export class OptionFailure extends UserError {
  constructor(readonly template: string) {
    super(spell(template, apiSpelling));
    this.name = 'OptionFailure';
  }
}

/** The message of an error in the caller's words, where it names options. */
export const spelledMessage = (err: unknown, spelling: Spelling): string =>
  err instanceof OptionError || err instanceof OptionFailure ? spell(err.template, spelling) : err instanceof Error ? err.message : String(err);

/** "{name} value: advice", the usual shape. */
export const invalidOption = (api: string, value: unknown, advice: string): OptionError =>
  new OptionError(`{${api}} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}: ${advice}`, advice);
