// The errors a user can act on, printed as one line without a stack trace. Errors about options are
// written once with each option as `{apiName}` and told in the caller's words: `temporal` to a
// library caller, `--temporal` on the command line.

/** A failure the user can fix: printed as one line, without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    /** 1 for a failed run, 2 for bad usage */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

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
