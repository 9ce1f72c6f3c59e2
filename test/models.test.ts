import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, cpSync, existsSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadModelWeights, resolveModel, STYLES } from 'stylize-video';
import { sharedModels, tempDir } from './helpers/media.js';
import { LOADER } from './helpers/cli.js';
import { writeTinyModel } from './helpers/tiny-model.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('model catalogue', () => {
  it('lists the nine styles with a checksum for every file', () => {
    expect(STYLES.map((s) => s.name).sort()).toEqual(['la_muse', 'mathura', 'matilde_perez', 'matta', 'rain_princess', 'scream', 'udnie', 'wave', 'wreck']);
    for (const s of STYLES) {
      expect(Object.keys(s.files)).toHaveLength(49);
      for (const f of Object.values(s.files)) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it.skipIf(!sharedModels)('agrees with the shared model files byte for byte', () => {
    for (const s of STYLES) {
      for (const [file, meta] of Object.entries(s.files)) {
        const bytes = readFileSync(join(sharedModels!, s.name, file));
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(meta.sha256);
      }
    }
  });

  it('suggests the nearest name for an unknown style', async () => {
    await expect(resolveModel('wav')).rejects.toThrow(/unknown style 'wav': did you mean 'wave'\?/);
  });
});

describe('model resolution', () => {
  let home: string;
  beforeEach(() => {
    home = tempDir();
    process.env.XDG_CACHE_HOME = join(home, 'cache');
    delete process.env.STYLIZE_VIDEO_MODELS;
  });

  it('prefers --model, then STYLIZE_VIDEO_MODELS, then the cache', async () => {
    const own = writeTinyModel(join(home, 'own'));
    const shelf = join(home, 'shelf');
    writeTinyModel(join(shelf, 'wave'));
    process.env.STYLIZE_VIDEO_MODELS = shelf;
    expect(await resolveModel('wave', { modelDir: own })).toMatchObject({ dir: own, source: 'option' });
    expect(await resolveModel('wave')).toMatchObject({ dir: join(shelf, 'wave'), source: 'env' });
  });

  it.skipIf(!sharedModels)('uses a cached copy only when every checksum matches', async () => {
    const cached = join(home, 'cache', 'stylize-video', 'models', 'udnie');
    cpSync(join(sharedModels!, 'udnie'), cached, { recursive: true });
    expect(await resolveModel('udnie', {})).toMatchObject({ source: 'cache' });
    const file = join(cached, 'Variable_3');
    const bytes = readFileSync(file);
    bytes[100] ^= 0xff;
    writeFileSync(file, bytes);
    // A corrupt cache is not trusted; with no network here the download fails with advice.
    process.env.STYLIZE_VIDEO_MODEL_URL = 'http://127.0.0.1:9';
    await expect(resolveModel('udnie', {})).rejects.toThrow(/could not be downloaded|checksum/);
  });

  it.skipIf(!sharedModels)('downloads into the cache, verified and atomically, with progress', async () => {
    // A local server stands in for the public address: it serves the shared files, and one corrupt one.
    const server = createServer((req, res) => {
      const [, style, file] = (req.url ?? '').split('/');
      const path = join(sharedModels!, style, file);
      if (!existsSync(path)) return void res.writeHead(404).end();
      res.end(readFileSync(path));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.STYLIZE_VIDEO_MODEL_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const seen: number[] = [];
      const model = await resolveModel('scream', { onDownload: (p) => seen.push(p.receivedBytes) });
      expect(model.source).toBe('download');
      expect(seen.at(-1)).toBe(Object.values(STYLES.find((s) => s.name === 'scream')!.files).reduce((n, f) => n + f.size, 0));
      const weights = await loadModelWeights(model.dir);
      expect(weights.variables).toHaveLength(48);
      expect(readdirSync(join(home, 'cache', 'stylize-video', 'models')).filter((f) => f.startsWith('.'))).toEqual([]);
      expect((await resolveModel('scream')).source).toBe('cache');
    } finally {
      server.close();
    }
  });

  it('explains how to fix a missing model when offline', async () => {
    process.env.STYLIZE_VIDEO_MODEL_URL = 'http://127.0.0.1:9';
    await expect(resolveModel('matta')).rejects.toThrow(/could not be downloaded.*STYLIZE_VIDEO_MODELS.*give a model folder \(model\)/);
    expect(existsSync(join(home, 'cache', 'stylize-video', 'models', 'matta'))).toBe(false);
  });
});

describe('model files', () => {
  const broken = (edit: (manifest: Record<string, { filename: string; shape: number[] }>, dir: string) => void) => {
    const dir = writeTinyModel(join(tempDir(), 'm'));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(manifest, dir);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return loadModelWeights(dir, 'm');
  };

  it('refuses file names that leave the model folder', async () => {
    await expect(broken((m) => (m.Variable_5.filename = '../../etc/passwd'))).rejects.toThrow(/not a plain file name inside the model folder/);
  });
  it('refuses absurd shapes', async () => {
    await expect(broken((m) => (m.Variable_9.shape = [3, 3, 1e9, 8]))).rejects.toThrow(/invalid shape/);
  });
  it('refuses files whose size does not match their shape', async () => {
    await expect(broken((_m, dir) => writeFileSync(join(dir, 'Variable_12'), new Uint8Array(12)))).rejects.toThrow(/has 12 bytes, but shape .* needs/);
  });
  it('refuses shapes that do not chain into the network', async () => {
    await expect(broken((m) => (m.Variable_3.shape = [3, 3, 5, 8]))).rejects.toThrow(/takes 5 channels where the previous layer gives 4/);
  });
  it('refuses a missing manifest', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    await expect(loadModelWeights(join(dir, 'x'))).rejects.toThrow(/manifest.json: it is missing/);
  });
});

describe('downloads that go wrong', () => {
  let home: string;
  let server: ReturnType<typeof createServer>;
  let behaviour: 'corrupt' | 'cut' | 'slow-ok';
  const cacheRoot = () => join(home, 'cache', 'stylize-video', 'models');

  beforeEach(async () => {
    home = tempDir();
    process.env.XDG_CACHE_HOME = join(home, 'cache');
    delete process.env.STYLIZE_VIDEO_MODELS;
    server = createServer((req, res) => {
      const [, style, file] = (req.url ?? '').split('/');
      const path = join(sharedModels!, style, file);
      if (!existsSync(path)) return void res.writeHead(404).end();
      const bytes = readFileSync(path);
      if (behaviour === 'corrupt' && file === 'Variable_9') bytes[0] ^= 1;
      if (behaviour === 'cut' && file === 'Variable_9') {
        res.writeHead(200, { 'content-length': bytes.length });
        res.write(bytes.subarray(0, 1000));
        return void setTimeout(() => res.destroy(), 20);
      }
      setTimeout(() => res.end(bytes), behaviour === 'slow-ok' ? 5 : 0);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.STYLIZE_VIDEO_MODEL_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => server.close());

  it.skipIf(!sharedModels)('rejects a file that does not match its checksum, and caches nothing', async () => {
    behaviour = 'corrupt';
    await expect(resolveModel('wreck')).rejects.toThrow(/does not match its catalogue checksum/);
    expect(existsSync(cacheRoot()) ? readdirSync(cacheRoot()) : []).toEqual([]);
  });

  it.skipIf(!sharedModels)('survives a connection cut mid-file, and caches nothing', async () => {
    behaviour = 'cut';
    await expect(resolveModel('wreck')).rejects.toThrow(/could not be downloaded/);
    expect(existsSync(cacheRoot()) ? readdirSync(cacheRoot()) : []).toEqual([]);
  });

  it.skipIf(!sharedModels)('lets four processes fill the cache at once: all succeed, one whole copy remains', async () => {
    behaviour = 'slow-ok';
    const script = `import { resolveModel, loadModelWeights } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))};
      const m = await resolveModel('mathura'); await loadModelWeights(m.dir); console.log(m.dir);`;
    const once = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('node', ['--import', LOADER, '--input-type=module', '-e', script], { env: process.env });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const runs = await Promise.all([once(), once(), once(), once()]);
    for (const r of runs) expect(r.code, r.out).toBe(0);
    expect(readdirSync(cacheRoot())).toEqual(['mathura']);
    for (const [file, meta] of Object.entries(STYLES.find((s) => s.name === 'mathura')!.files)) {
      expect(createHash('sha256').update(readFileSync(join(cacheRoot(), 'mathura', file))).digest('hex')).toBe(meta.sha256);
    }
  });
});
