// What the option table gives the rest: commander's definitions, the checks a library call runs,
// and the arguments a farm's shards receive.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { OptionError, spell } from '../errors.js';
import { flagSpelling, OPTIONS, type OptionName, type OptionSpec, type OptionValues } from './table.js';
import type { Validator } from './validators.js';

const entry = (name: OptionName) => OPTIONS[name] as OptionSpec<unknown>;

/** A validator as commander's parser: commander names the flag and the text, the advice is ours. */
export function commanderParser<V>(validator: Validator<V>, api: string): (text: string) => V {
  return (text) => {
    try {
      return validator.parse!(text, api);
    } catch (err) {
      if (err instanceof OptionError) throw new InvalidArgumentError(spell(err.adviceTemplate, flagSpelling));
      throw err;
    }
  };
}

/**
 * Adds the named options to a command, in that order; `descriptions` words one for this command
 * (`'no-temporal'` its negation).
 */
export function addOptions(command: Command, names: readonly OptionName[], descriptions: Partial<Record<string, string>> = {}): Command {
  for (const name of names) {
    const spec = entry(name);
    const option = new Option(spec.flags, descriptions[name] ?? spec.description);
    if (spec.choices) option.choices(spec.choices);
    else if (spec.repeatable) {
      const parse = commanderParser(spec.validator as Validator<unknown[]>, name);
      option.argParser((text: string, previous: unknown[] | undefined) => [...(previous ?? []), ...parse(text)]);
    } else if (spec.validator.parse) option.argParser(commanderParser(spec.validator, name));
    if (spec.default !== undefined) option.default(spec.default);
    command.addOption(option);
    if (spec.negation) {
      const negation = `no-${spec.flags.match(/--([\w-]+)/)![1]}`;
      command.option(`--${negation}`, descriptions[negation] ?? spec.negation);
    }
  }
  return command;
}

/** The table's defaults under the caller's values. */
export function withDefaults<T extends OptionValues>(values: T, names: readonly OptionName[]): T {
  const defaults = Object.fromEntries(names.flatMap((name) => (entry(name).default === undefined ? [] : [[name, entry(name).default]])));
  const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  return { ...defaults, ...given } as T;
}

/** Checks every named option the caller set; the error names it as the caller wrote it. */
export function checkOptions(values: OptionValues, names: readonly OptionName[]): void {
  for (const name of names) {
    const value = values[name];
    if (value !== undefined) entry(name).validator.check(value, name);
  }
}

/** The options every shard of a plan receives, as command-line arguments. */
export function shardArguments(values: OptionValues, names: readonly OptionName[]): string[] {
  return names.flatMap((name) => {
    const { shardArguments: toArguments } = entry(name);
    const value = values[name];
    return toArguments && value !== undefined ? toArguments(value) : [];
  });
}

/** The options that change the pixels, in table order: what plan.json records of a render. */
export const PIXEL_OPTIONS = (Object.keys(OPTIONS) as OptionName[]).filter((name) => entry(name).pixels);
