#!/usr/bin/env node
// Small multiples of stability against style, one panel per clip, from research/stability-sweep.sh:
//   node research/plot-stability.js points.json [more.json...] out.png
// The files are merged, so one sweep's output per clip will do. Each panel: E_warp as % of the
// per-frame render against SSIM to it, for the temporal stage (solid, labelled with --temporal
// strength, the default emphasised) and the plain OpenCV blend (dashed grey, labelled with alpha),
// over the target box. Needs npm run build (for the default strength).
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { DEFAULT_TEMPORAL_STRENGTH } from '../dist/index.js';

const args = process.argv.slice(2);
if (args.length < 2 || !args.at(-1).endsWith('.png')) {
  console.error('usage: node research/plot-stability.js <points.json>... <out.png>');
  process.exit(2);
}
const target = args.pop();
const clips = Object.entries(Object.assign({}, ...args.map((file) => JSON.parse(readFileSync(file, 'utf8')))));
const notSwept = clips.find(([, clip]) => !Array.isArray(clip?.stage) || !Array.isArray(clip?.baseline));
if (!clips.length || notSwept) {
  console.error(`plot-stability: ${notSwept ? `"${notSwept[0]}" has no stage and baseline points` : 'no clips'}: give research/stability-sweep.sh output`);
  process.exit(1);
}

const TARGET = { warpingError: 0.35, ssim: 0.85 }; // the issue's bar
const STAGE_COLOUR = '#c0392b', BASELINE_COLOUR = '#888';
const points = clips.flatMap(([, clip]) => [...clip.stage, ...clip.baseline]);
// Shared scales, so that panels compare at a glance; widened only when the data leave them.
const ssimFloor = Math.min(0.75, Math.floor((Math.min(...points.map((p) => p.ssim)) - 0.01) * 20) / 20);
const errorCeiling = Math.max(1, Math.ceil(Math.max(...points.map((p) => p.relativeWarpingError)) * 4) / 4);

const W = 1200, columns = Math.min(4, clips.length), rows = Math.ceil(clips.length / columns);
const margin = { left: 80, right: 40, top: 96, bottom: 56 }, gap = { x: 30, y: 58 };
const gridSpace = W - margin.left - margin.right;
// A panel at most twice its 4-column width, so that one or two clips do not blow up into a poster.
const panelW = Math.min((gridSpace - 3 * gap.x) / 2, (gridSpace - (columns - 1) * gap.x) / columns);
const gridLeft = margin.left + (gridSpace - columns * panelW - (columns - 1) * gap.x) / 2;
const panelH = Math.round(panelW * 0.72);
const H = margin.top + rows * panelH + (rows - 1) * gap.y + margin.bottom;

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (v) => v.toFixed(1);
const ticks = (from, to, step) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);

function panel([name, clip], index) {
  const column = index % columns, row = Math.floor(index / columns);
  const left = gridLeft + column * (panelW + gap.x), top = margin.top + row * (panelH + gap.y);
  const x = (ssim) => left + ((1 - ssim) / (1 - ssimFloor)) * panelW; // 1.0 on the left
  const y = (e) => top + (1 - e / errorCeiling) * panelH;
  const parts = [`<rect x="${left}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#bbb"/>`];
  parts.push(`<rect x="${x(1)}" y="${fixed(y(TARGET.warpingError))}" width="${fixed(x(TARGET.ssim) - x(1))}" height="${fixed(y(0) - y(TARGET.warpingError))}" fill="#2a2" fill-opacity="0.1"/>`);
  const ssimTicks = ticks(ssimFloor, 1, 0.05);
  ssimTicks.forEach((s, i) => {
    parts.push(`<line x1="${fixed(x(s))}" y1="${top}" x2="${fixed(x(s))}" y2="${top + panelH}" stroke="#eee"/>`);
    const anchor = i === 0 ? 'end' : i === ssimTicks.length - 1 ? 'start' : 'middle'; // kept off the next panel's labels
    parts.push(`<text x="${fixed(x(s))}" y="${top + panelH + 15}" font-size="11" text-anchor="${anchor}" fill="#555">${s.toFixed(2)}</text>`);
  });
  for (const e of ticks(0, errorCeiling, 0.25)) {
    parts.push(`<line x1="${left}" y1="${fixed(y(e))}" x2="${left + panelW}" y2="${fixed(y(e))}" stroke="#eee"/>`);
    if (column === 0) parts.push(`<text x="${left - 6}" y="${fixed(y(e) + 4)}" font-size="11" text-anchor="end" fill="#555">${Math.round(e * 100)}%</text>`);
  }
  parts.push(`<text x="${left + panelW / 2}" y="${top - 8}" font-size="14" font-weight="bold" text-anchor="middle">${escape(name)}</text>`);

  const path = (series) => series.map((p, i) => `${i ? 'L' : 'M'}${fixed(x(p.ssim))},${fixed(y(p.relativeWarpingError))}`).join(' ');
  const baseline = [...clip.baseline].sort((a, b) => a.alpha - b.alpha);
  parts.push(`<path d="${path(baseline)}" fill="none" stroke="${BASELINE_COLOUR}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
  for (const p of baseline) {
    parts.push(`<rect x="${fixed(x(p.ssim) - 3)}" y="${fixed(y(p.relativeWarpingError) - 3)}" width="6" height="6" fill="${BASELINE_COLOUR}"/>`);
    parts.push(`<text x="${fixed(x(p.ssim) + 6)}" y="${fixed(y(p.relativeWarpingError) - 6)}" font-size="10" fill="#666">${p.alpha}</text>`);
  }
  const stage = [...clip.stage].sort((a, b) => a.strength - b.strength);
  parts.push(`<path d="${path(stage)}" fill="none" stroke="${STAGE_COLOUR}" stroke-width="2"/>`);
  for (const p of stage) {
    const isDefault = Math.abs(p.strength - DEFAULT_TEMPORAL_STRENGTH) < 1e-9;
    const cx = fixed(x(p.ssim)), cy = fixed(y(p.relativeWarpingError));
    parts.push(isDefault ? `<circle cx="${cx}" cy="${cy}" r="6" fill="${STAGE_COLOUR}" stroke="#000" stroke-width="1.5"/>` : `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${STAGE_COLOUR}"/>`);
    parts.push(`<text x="${fixed(x(p.ssim) - 7)}" y="${fixed(y(p.relativeWarpingError) + (isDefault ? 17 : 13))}" text-anchor="end" font-size="${isDefault ? 12 : 10}"${isDefault ? ' font-weight="bold"' : ''} fill="${STAGE_COLOUR}">${p.strength}</text>`);
  }
  return parts.join('');
}

const plotBottom = H - margin.bottom;
// Legend entries side by side; text width estimated at half an em a character.
const legendY = 58;
const legendEntries = [
  [`<line x1="0" y1="0" x2="28" y2="0" stroke="${STAGE_COLOUR}" stroke-width="2"/><circle cx="14" cy="0" r="3.5" fill="${STAGE_COLOUR}"/>`, 'temporal stage, by --temporal strength'],
  [`<circle cx="14" cy="0" r="6" fill="${STAGE_COLOUR}" stroke="#000" stroke-width="1.5"/>`, `the default, ${DEFAULT_TEMPORAL_STRENGTH}`],
  [`<line x1="0" y1="0" x2="28" y2="0" stroke="${BASELINE_COLOUR}" stroke-width="1.5" stroke-dasharray="5 4"/><rect x="11" y="-3" width="6" height="6" fill="${BASELINE_COLOUR}"/>`, 'plain OpenCV Farneback blend, by alpha'],
  [`<rect x="2" y="-7" width="24" height="14" fill="#2a2" fill-opacity="0.1" stroke="#9c9"/>`, `target: E_warp ≤ ${TARGET.warpingError * 100}% at SSIM ≥ ${TARGET.ssim}`],
];
const legendWidths = legendEntries.map(([, text]) => 36 + text.length * 13 * 0.5 + 30);
let legendX = (W - legendWidths.reduce((a, b) => a + b, 0)) / 2;
const legend = legendEntries.map(([mark, text], i) => {
  const entry = `<g transform="translate(${fixed(legendX)} ${legendY})">${mark}<text x="36" y="4" font-size="13">${escape(text)}</text></g>`;
  legendX += legendWidths[i];
  return entry;
}).join('');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="28" font-size="18" text-anchor="middle">Stability against style, judged independently (ewarp.py, DeepFlow)</text>
${legend}
${clips.map(panel).join('\n')}
<text x="${(margin.left + W - margin.right) / 2}" y="${plotBottom + 44}" font-size="14" text-anchor="middle">SSIM to the per-frame render (style kept: left)</text>
<text transform="translate(${fixed(gridLeft - 58)} ${(margin.top + plotBottom) / 2}) rotate(-90)" font-size="14" text-anchor="middle">E_warp, % of the per-frame render (stabler: lower)</text>
</svg>`;
await sharp(Buffer.from(svg)).png().toFile(target);
console.log(`wrote ${target}`);
