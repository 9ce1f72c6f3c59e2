#!/usr/bin/env node
// Regenerates src/stylize/catalogue.json (names, sizes and SHA-256 of every model file) from a
// folder of verified models: node scripts/make-catalogue.js <models-folder>
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
if (!root) {
  console.error('usage: node scripts/make-catalogue.js <models-folder>');
  process.exit(2);
}
const engstrom = ['wave', 'la_muse', 'rain_princess', 'scream', 'udnie', 'wreck'];
const styles = {};
for (const style of readdirSync(root).sort()) {
  const dir = join(root, style);
  if (!statSync(dir).isDirectory()) continue;
  const files = {};
  for (const file of readdirSync(dir).sort()) {
    if (file.startsWith('.')) continue;
    const bytes = readFileSync(join(dir, file));
    files[file] = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  styles[style] = {
    credit: engstrom.includes(style) ? "Logan Engstrom's fast-style-transfer (2016), converted by ml5" : 'ml5 (ml5-data-and-models)',
    licence: engstrom.includes(style) ? 'engstrom-research' : 'MIT',
    files,
  };
}
// Engstrom's checkpoints keep his own licence (the licence section of lengstrom/fast-style-transfer's
// README), not the MIT licence of the ml5 repository that converted them.
const licences = {
  'engstrom-research': {
    name: "Logan Engstrom's licence: research use only",
    commercialUse: false,
    terms: "Copyright (c) 2016 Logan Engstrom. Free for research use, as long as proper attribution is given and this copyright notice is retained; any use that is not academic research, commercial use included, needs his permission (contact: engstrom at his university's domain dot edu).",
    url: 'https://github.com/lengstrom/fast-style-transfer#license',
  },
  MIT: {
    name: 'MIT',
    commercialUse: true,
    terms: 'Copyright (c) 2018 ml5. Any use, commercial included, with the copyright and MIT licence notice kept.',
    url: 'https://github.com/ml5js/ml5-data-and-models',
  },
};
// The arbitrary-style networks (Magenta's TF Lite files) are not in that folder: kept as they are.
const previous = JSON.parse(readFileSync(new URL('../src/stylize/catalogue.json', import.meta.url), 'utf8'));
licences['Apache-2.0'] = previous.licences['Apache-2.0'];
const catalogue = {
  source: 'ml5js/ml5-data-and-models, models/style-transfer (the repository is MIT, copyright 2018 ml5; six styles keep Logan Engstrom's own licence)',
  baseUrl: 'https://raw.githubusercontent.com/ml5js/ml5-data-and-models/main/models/style-transfer',
  licences,
  styles,
  arbitrary: previous.arbitrary,
};
writeFileSync(new URL('../src/stylize/catalogue.json', import.meta.url), JSON.stringify(catalogue, null, 1) + '\n');
console.log(`wrote ${Object.keys(styles).length} styles`);
