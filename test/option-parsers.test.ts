// Property tests: whatever the text, a parser returns a value inside its range or throws a usage
// error; it never lets NaN, a fraction or an out-of-range number through.
import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from 'stylize-video';
import { strength, wholeNumber } from '../src/cli.js';
import { parseConcurrency } from '../src/stylize/stylizer.js';

const anyText = fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.constantFrom('', ' ', '1e3', '0x10', '-0', '2.', '.5', 'NaN', 'Infinity', '50%', '%', '150%'));

describe('option parsers', () => {
  it('wholeNumber: an integer inside [min, max], or InvalidArgumentError', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 100 }), (text, min, span) => {
        const max = min + span;
        try {
          const n = wholeNumber(min, max)(text);
          return Number.isInteger(n) && n >= min && n <= max;
        } catch (err) {
          return err instanceof InvalidArgumentError;
        }
      }),
    );
  });

  it('reads only plain decimal digits: no blanks, hex, exponents or signs', () => {
    for (const text of ['', ' ', '0x10', '1e1', '+3', '-0', '3.0']) {
      expect(() => wholeNumber(0, 100)(text), text).toThrow(InvalidArgumentError);
      expect(() => parseConcurrency(text, 8), text).toThrow(UsageError);
    }
    for (const text of ['', ' ', '0x1', '1e-1', '-0']) expect(() => strength(text), text).toThrow(InvalidArgumentError);
  });

  it('wholeNumber accepts every integer in range, written plainly', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), (n) => wholeNumber(1, 64)(String(n)) === n));
  });

  it('strength: a number in [0, 1], or InvalidArgumentError', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        try {
          const s = strength(text);
          return s >= 0 && s <= 1;
        } catch (err) {
          return err instanceof InvalidArgumentError;
        }
      }),
    );
    // Written as people write them: 0, 1, 0.25, .5 (exponent forms are refused).
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000), (s) => strength(String(s)) === s));
  });

  it('concurrency: a whole count of at least 1, or UsageError', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 128 }), (text, cores) => {
        try {
          const n = parseConcurrency(text, cores);
          return Number.isInteger(n) && n >= 1 && n <= 256;
        } catch (err) {
          return err instanceof UsageError;
        }
      }),
    );
  });

  it('concurrency: a percentage is that share of the cores, rounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 128 }), (percent, cores) => {
        const expected = Math.round((percent / 100) * cores);
        if (expected < 1) return expect(() => parseConcurrency(`${percent}%`, cores)).toThrow(UsageError), true;
        return parseConcurrency(`${percent}%`, cores) === expected;
      }),
    );
    expect(parseConcurrency(undefined, 6)).toBe(6);
  });
});
