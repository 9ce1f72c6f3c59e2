// Checks shared by the options: each reads command-line text or checks an API value, and throws an
// OptionError naming the option as `{api}`, so the caller sees the name they wrote.
import { parseTimecode } from '../decode/frame-range.js';
import { invalidOption } from '../errors.js';

export interface Validator<V> {
  /**
   * Command-line text to the option's value, for commander, where the option is read as it is
   * parsed; without it the text is passed on as it is and checked with the rest.
   */
  parse?(text: string, api: string): V;
  /** a value, checked (text included where the API takes text) */
  check(value: V, api: string): void;
}

export function wholeNumber(min: number, max: number): Validator<number> {
  const advice = `give a whole number from ${min} to ${max}`;
  const check = (n: number, api: string) => {
    if (!Number.isInteger(n) || n < min || n > max) throw invalidOption(api, n, advice);
  };
  return {
    parse(text, api) {
      // Plain decimal digits only: no blanks, signs, exponents or hex.
      if (!/^\s*\d+\s*$/.test(text)) throw invalidOption(api, text, advice);
      const n = Number(text);
      check(n, api);
      return n;
    },
    check,
  };
}

export const strength: Validator<boolean | number> = {
  parse(text, api) {
    const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
    strength.check(n, api);
    return n;
  },
  check(value, api) {
    if (typeof value === 'boolean') return;
    if (!(value >= 0 && value <= 1)) throw invalidOption(api, value, 'give a strength between 0 and 1');
  },
};

const DECIMAL = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/;

/** A number from 0 to 1, both included; `advice` says what the ends mean. */
export const zeroToOne = (advice: string): Validator<number> => ({
  parse: (text) => (DECIMAL.test(text) ? Number.parseFloat(text) : NaN),
  check(value, api) {
    if (!(typeof value === 'number' && value >= 0 && value <= 1)) throw invalidOption(api, value, advice);
  },
});

/** The temporal stage's detail gain: from 1 (the blend as it is) to 2. */
export const detailGain: Validator<number> = {
  parse: (text) => (DECIMAL.test(text) ? Number.parseFloat(text) : NaN),
  check(value, api) {
    if (!(typeof value === 'number' && value >= 1 && value <= 2)) throw invalidOption(api, value, 'give a gain from 1 (the blend as it is) to 2, such as 1.2');
  },
};

export const unitInterval = zeroToOne('give a strength from 0 (the content\'s own style) to 1 (the picture\'s style)');

/** 'auto', or a number from 1 to `max`. */
export function scaleOrAuto(max: number): Validator<number | 'auto'> {
  const advice = `give a factor from 1 (the network's own stroke size) to ${max}, or auto`;
  return {
    parse: (text) => (text.trim() === 'auto' ? 'auto' : DECIMAL.test(text) ? Number.parseFloat(text) : NaN),
    check(value, api) {
      if (value !== 'auto' && !(typeof value === 'number' && value >= 1 && value <= max)) throw invalidOption(api, value, advice);
    },
  };
}

/**
 * One value, or several separated by commas (`0.3,0.6,1`), each checked by `one`; the routes that
 * take a single value say so (a contact sheet takes several, one column each).
 */
export function oneOrSeveral<V>(one: Validator<V>): Validator<V | V[]> {
  return {
    parse(text, api) {
      const values = text.split(',').map((part) => (one.parse ? one.parse(part, api) : (part as V)));
      return values.length === 1 ? values[0] : values;
    },
    check(value, api) {
      for (const v of Array.isArray(value) ? value : [value]) one.check(v, api);
    },
  };
}

/** Seconds from 0 to `max`, both included; `advice` says what they are. */
export const seconds = (max: number, advice: string): Validator<number> => ({
  // A sign is read, so that the message shows the number given.
  parse: (text) => (/^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number.parseFloat(text) : NaN),
  check(value, api) {
    if (!(typeof value === 'number' && value >= 0 && value <= max)) throw invalidOption(api, value, advice);
  },
});

/**
 * A change of style at a frame (0-based, as {frames} counts them) or at a time (seconds, or a
 * timecode as {start} takes it).
 */
export type StyleAt = { readonly style: string } & ({ readonly frame: number; readonly time?: undefined } | { readonly time: number | string; readonly frame?: undefined });

const STYLE_AT_ADVICE = 'write <time>=<style> (65.5=munch, 1:05.5=munch) or f<frame>=<style> (f120=wave)';

const timecodeOrNaN = (time: string): number => {
  try {
    return parseTimecode(time, 'styleAt');
  } catch {
    return NaN;
  }
};

/** Style switches, on the command line one a flag: `f120=wave`, `65.5=munch`, `1:05.5=painting.jpg`. */
export const styleSwitches: Validator<StyleAt[]> = {
  parse(text, api) {
    const match = /^\s*(f)?\s*([^=]*?)\s*=\s*(.*?)\s*$/.exec(text);
    if (!match || !match[2] || !match[3]) throw invalidOption(api, text, STYLE_AT_ADVICE);
    const [, frame, when, style] = match;
    if (!frame) return [{ time: when, style }];
    if (!/^\d+$/.test(when)) throw invalidOption(api, text, `${STYLE_AT_ADVICE}: a frame is a whole number counted from 0`);
    return [{ frame: Number(when), style }];
  },
  check(value, api) {
    if (!Array.isArray(value)) throw invalidOption(api, value, `give a list of { frame, style } or { time, style }`);
    for (const at of value) {
      const text = typeof at === 'object' && at ? `${at.frame !== undefined ? `f${at.frame}` : at.time}=${at.style}` : String(at);
      if (typeof at !== 'object' || !at || typeof at.style !== 'string' || !at.style.trim()) throw invalidOption(api, text, `${STYLE_AT_ADVICE}: each switch names a style`);
      if ((at.frame === undefined) === (at.time === undefined)) throw invalidOption(api, text, 'give each switch a frame or a time, not both');
      if (at.frame !== undefined && !(Number.isSafeInteger(at.frame) && at.frame >= 0)) throw invalidOption(api, text, `${STYLE_AT_ADVICE}: a frame is a whole number counted from 0`);
      if (typeof at.time === 'number' && !(Number.isFinite(at.time) && at.time >= 0)) throw invalidOption(api, text, 'a time is 0 seconds or more');
      if (typeof at.time === 'string' && !Number.isFinite(timecodeOrNaN(at.time))) throw invalidOption(api, text, 'give a time as seconds (83.5), M:SS (1:23.5) or H:MM:SS (0:01:23.5), or f<frame>');
      if (at.time !== undefined && typeof at.time !== 'number' && typeof at.time !== 'string') throw invalidOption(api, text, STYLE_AT_ADVICE);
    }
  },
};

/** A switch: true or false. */
export const flag: Validator<boolean> = {
  check(value, api) {
    if (typeof value !== 'boolean') throw invalidOption(api, value, 'give true or false');
  },
};

/** A factor above 0, at most 1. */
export const fraction: Validator<number> = {
  parse: (text) => Number.parseFloat(text),
  check(value, api) {
    if (!(value > 0 && value <= 1)) throw invalidOption(api, value, 'give a factor above 0 and at most 1 (0.5 is half size)');
  },
};

/** One of a list (commander lists the choices and checks them itself). */
export function oneOf<T extends string>(choices: readonly T[]): Validator<T> {
  return {
    check(value, api) {
      if (!choices.includes(value)) throw invalidOption(api, value, `use one of ${choices.join(', ')}`);
    },
  };
}

/** Passed on as it is, checked by `check` (which may parse it) with the rest. */
export const text = <V>(check: (value: V, api: string) => void = () => undefined): Validator<V> => ({ check });
