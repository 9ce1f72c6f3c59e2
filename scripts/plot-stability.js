#!/usr/bin/env node
// Plots E_warp (relative to per-frame stylization) against SSIM to the per-frame stylization, one
// point per temporal strength, one line per clip: node scripts/plot-stability.js points.json out.png
// points.json: { "<clip>": [{ "strength": 0.5, "relativeWarpingError": 0.34, "ssim": 0.97 }, ...], ... }
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const [source, target] = process.argv.slice(2);
if (!source || !target) {
  console.error('usage: node scripts/plot-stability.js <points.json> <out.png>');
  process.exit(2);
}
const clips = Object.entries(JSON.parse(readFileSync(source, 'utf8'))).map(([name, points]) => [name, points.sort((a, b) => a.strength - b.strength)]);
const COLOURS = ['#c33', '#36c', '#393', '#c90'];
const W = 640, H = 420, left = 70, right = 20, top = 40, bottom = 60;
const x = (ssim) => left + ((1 - ssim) / 0.25) * (W - left - right); // SSIM 1.0 .. 0.75, left to right
const y = (e) => top + (1 - e) * (H - top - bottom); // relative E_warp 0 .. 1, bottom to top
const grid = [];
for (let s = 0.75; s <= 1.0001; s += 0.05) grid.push(`<line x1="${x(s)}" y1="${top}" x2="${x(s)}" y2="${H - bottom}" stroke="#ddd"/><text x="${x(s)}" y="${H - bottom + 18}" font-size="12" text-anchor="middle">${s.toFixed(2)}</text>`);
for (let e = 0; e <= 1.0001; e += 0.25) grid.push(`<line x1="${left}" y1="${y(e)}" x2="${W - right}" y2="${y(e)}" stroke="#ddd"/><text x="${left - 8}" y="${y(e) + 4}" font-size="12" text-anchor="end">${Math.round(e * 100)}%</text>`);
const target30 = `<rect x="${left}" y="${y(0.3)}" width="${x(0.85) - left}" height="${H - bottom - y(0.3)}" fill="#2a2" fill-opacity="0.08"/>`;
const lines = clips.map(([name, points], k) => {
  const colour = COLOURS[k % COLOURS.length];
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.ssim).toFixed(1)},${y(p.relativeWarpingError).toFixed(1)}`).join(' ');
  const marks = points.map((p) => `<circle cx="${x(p.ssim)}" cy="${y(p.relativeWarpingError)}" r="4" fill="${colour}"/><text x="${x(p.ssim) + 7}" y="${y(p.relativeWarpingError) - 6}" font-size="12">${p.strength}</text>`).join('');
  const legend = `<rect x="${W - right - 230}" y="${top + 8 + 18 * k}" width="12" height="3" fill="${colour}"/><text x="${W - right - 212}" y="${top + 13 + 18 * k}" font-size="12">${name}</text>`;
  return `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${marks}${legend}`;
});
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>${target30}${grid.join('')}
${lines.join('')}
<text x="${W / 2}" y="22" font-size="15" text-anchor="middle">Stability against style: one point per --temporal strength</text>
<text x="${(left + W - right) / 2}" y="${H - 18}" font-size="13" text-anchor="middle">SSIM to the per-frame stylization (style kept →  left)</text>
<text transform="translate(18 ${(top + H - bottom) / 2}) rotate(-90)" font-size="13" text-anchor="middle">E_warp, % of per-frame</text>
<text x="${left + 6}" y="${H - bottom - 8}" font-size="11" fill="#292">target: ≤ 30% at SSIM ≥ 0.85</text>
</svg>`;
await sharp(Buffer.from(svg)).png().toFile(target);
console.log(`wrote ${target}`);
