#!/usr/bin/env node
// PSNR of an encoded --no-temporal render against an independent per-frame run of the same network
// on the decoded input: node research/measure-agreement.js <input> <render> [--style wave] [--model dir]
import { parseArgs } from 'node:util';
import { createStylizer, decodeFrames, probeVideo } from '../dist/index.js';
import { psnr } from '../dist/metrics/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { style: { type: 'string', default: 'wave' }, model: { type: 'string' } } });
const [input, render] = positionals;
if (!input || !render) {
  console.error('usage: node research/measure-agreement.js <input> <render> [--style wave] [--model dir]');
  process.exit(2);
}
const read = async (path) => {
  const frames = [];
  for await (const f of decodeFrames(await probeVideo(path))) frames.push(f);
  return frames;
};
const inputs = await read(input);
const outputs = await read(render);
const stylizer = await createStylizer({ style: values.style, modelDir: values.model, backend: 'wasm' });
const references = await Promise.all(inputs.map((f) => stylizer.stylize([f]).then((r) => r[0])));
await stylizer.close();
const scores = outputs.map((o, i) => psnr(o.data, references[i].data));
console.log(JSON.stringify({ inputFrames: inputs.length, renderFrames: outputs.length, meanPsnr: scores.reduce((a, b) => a + b, 0) / scores.length, minPsnr: Math.min(...scores) }));
