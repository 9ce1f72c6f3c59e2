// Frame rates and aspect ratios as ffmpeg writes them: "30000/1001", "16:9".
export interface Rational {
  num: number;
  den: number;
}

export function parseRational(text: string | undefined): Rational | undefined {
  if (!text) return undefined;
  const [n, d = '1'] = text.split(/[/:]/);
  const num = Number(n);
  const den = Number(d);
  if (!Number.isFinite(num) || !Number.isFinite(den) || num <= 0 || den <= 0) return undefined;
  return { num, den };
}

export const rationalValue = (r: Rational): number => r.num / r.den;
export const rationalText = (r: Rational): string => `${r.num}/${r.den}`;

/**
 * The closest fraction with a denominator of at most `maxDen` (continued fractions), so that a
 * measured rate such as 16.4571... is one ffmpeg takes exactly rather than approximates itself.
 */
export function approximateRational(value: number, maxDen = 1001): Rational {
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = value;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(x);
    const [h2, k2] = [a * h1 + h0, a * k1 + k0];
    if (k2 > maxDen) break;
    [h0, h1, k0, k1] = [h1, h2, k1, k2];
    if (x - a < 1e-12) break;
    x = 1 / (x - a);
  }
  return { num: h1, den: k1 };
}
