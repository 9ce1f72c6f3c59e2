// The command line: parses flags, shows progress, maps failures to one line and an exit code.
// Everything it does is the library's; see src/index.ts.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from './errors.js';
import { killAllFfmpeg } from './ffmpeg.js';
import { discardAllPending } from './output.js';
import { defaultOutputPath, stylizeVideo, type PipelineEvent } from './pipeline.js';
import { isStillPath, stylizeImage } from './still.js';
import { VIDEO_CODECS, type VideoCodec } from './encode/codecs.js';
import { BACKEND_CHOICES, type BackendChoice } from './stylize/backend.js';
import { isCached, MODEL_SOURCE, modelCacheDir, STYLES } from './stylize/model-store.js';
import { createProgressBar } from './progress-bar.js';
import { measureStability } from './temporal/metrics.js';

interface RenderFlags {
  style: string;
  output?: string;
  model?: string;
  backend: BackendChoice;
  batch?: number;
  concurrency?: string;
  temporal?: boolean | number;
  codec?: VideoCodec;
  crf?: number;
  preset?: string;
  overwrite?: boolean;
  frames?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export function wholeNumber(min: number, max: number) {
  return (text: string): number => {
    const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return n;
  };
}

export function strength(text: string): number {
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('give a strength between 0 and 1');
  return n;
}

const printJson = (value: object): void => void process.stdout.write(JSON.stringify(value) + "\n");

async function render(input: string, flags: RenderFlags): Promise<void> {
  const log = (line: string) => {
    if (!flags.quiet && !flags.json) process.stderr.write(line + '\n');
  };
  if (isStillPath(input)) {
    const output = flags.output ?? defaultOutputPath(input, flags.style, extname(input));
    const result = await stylizeImage({ input, output, style: flags.style, model: flags.model, backend: flags.backend, overwrite: flags.overwrite });
    if (flags.json) printJson({ type: 'done', ...result });
    else log(`wrote ${result.output} (${result.width}x${result.height}, ${result.backend} backend)`);
    return;
  }
  const bar = !flags.json && !flags.quiet && process.stderr.isTTY ? createProgressBar(process.stderr) : undefined;
  const onEvent = (event: PipelineEvent) => {
    if (flags.json) return printJson(event);
    if (event.type === 'start') {
      const skipped = event.backend.skipped.length ? ` (passed over: ${event.backend.skipped.join('; ')})` : '';
      log(`${event.input} → ${event.output}: ${event.width}x${event.height} @ ${event.fps.toFixed(3)} fps, ~${event.totalFrames} frames`);
      log(`backend ${event.backend.name}${skipped}, ${event.concurrency} thread(s), batch ${event.batch}, model from ${event.modelSource}, temporal ${event.temporal}`);
    } else if (event.type === 'download') {
      bar?.update(`downloading ${event.progress.style}`, event.progress.receivedBytes, event.progress.totalBytes);
    } else {
      bar?.update('frames', event.frame, event.totalFrames, `${event.fps.toFixed(2)} fps  ETA ${formatSeconds(event.etaSeconds)}`);
    }
  };
  const result = await stylizeVideo({
    input,
    output: flags.output,
    style: flags.style,
    model: flags.model,
    backend: flags.backend,
    batch: flags.batch,
    concurrency: flags.concurrency,
    temporal: flags.temporal,
    codec: flags.codec,
    crf: flags.crf,
    preset: flags.preset,
    overwrite: flags.overwrite,
    frames: flags.frames,
    onEvent,
  });
  bar?.done();
  if (flags.json) printJson({ type: 'done', ...result });
  else log(`wrote ${result.output}: ${result.frames} frames in ${formatSeconds(result.seconds)} (${(result.seconds / result.frames).toFixed(2)} s/frame)`);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

async function listStyles(flags: { json?: boolean }): Promise<void> {
  const shelf = process.env.STYLIZE_VIDEO_MODELS;
  const rows = await Promise.all(
    STYLES.map(async (s) => ({
      name: s.name,
      cached: await isCached(s.name),
      inModelsFolder: !!shelf && existsSync(join(shelf, s.name, 'manifest.json')),
      credit: s.credit,
    })),
  );
  if (flags.json) return printJson({ cache: modelCacheDir(), modelsFolder: shelf ?? null, source: MODEL_SOURCE, styles: rows });
  process.stdout.write(`styles (source: ${MODEL_SOURCE}); cache: ${modelCacheDir()}${shelf ? `; STYLIZE_VIDEO_MODELS: ${shelf}` : ''}\n`);
  for (const r of rows) {
    const where = r.inModelsFolder ? 'STYLIZE_VIDEO_MODELS' : r.cached ? 'cached' : 'downloads on first use';
    process.stdout.write(`  ${r.name.padEnd(15)} ${where.padEnd(22)} ${r.credit}\n`);
  }
}

// Commander's usage errors in the same one-line form as ours.
const OUTPUT = {
  outputError: (text: string, write: (s: string) => void) => write(`stylize-video: ${text.replace(/^error: /, '').trim()}\n`),
};

export function buildProgram(): Command {
  const program = new Command('stylize-video')
    .configureOutput(OUTPUT)
    .description('Turn a video (or a still) into a painting in motion with a TransformerNet style.')
    .argument('<input>', 'video or image to stylize')
    .option('-s, --style <name>', 'style from the catalogue (stylize-video styles)', 'wave')
    .option('-o, --output <path>', 'output file (default: <input>.<style>.mp4 beside the input)')
    .option('--frames <range>', 'only these frames, counted from 0: 120-239, 120- (to the end) or 42')
    .option('--model <dir>', 'a model folder (manifest.json + float32 files) instead of a catalogue style')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--batch <n>', 'frames per inference call (default: 4 on native backends, 1 on wasm/cpu)', wholeNumber(1, 64))
    .option('--concurrency <n>', 'inference threads on wasm/cpu: a count or a share of the cores like 50% (default: all cores)')
    .option('--temporal <strength>', 'temporal-consistency strength, 0..1', strength)
    .option('--no-temporal', 'stylize every frame independently')
    .addOption(new Option('--codec <codec>', 'video codec').choices(VIDEO_CODECS))
    .option('--crf <n>', 'constant rate factor (quality; lower is better)', wholeNumber(0, 63))
    .option('--preset <name>', 'encoder preset (x264/x265: ultrafast … veryslow)')
    .option('-y, --overwrite', 'replace an existing output')
    .option('--json', 'print progress and the summary as JSON lines on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--verbose', 'print stack traces with errors')
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .exitOverride()
    .action(render);
  program
    .command('metrics')
    .description('stability report: E_warp of a stylized video along its input\'s motion; with --reference, PSNR, SSIM and luminance drift')
    .argument('<input>', 'the original video')
    .argument('<stylized>', 'its stylization')
    .option('--reference <video>', 'a reference stylization of the same input, e.g. made with --no-temporal')
    .option('--json', 'print JSON')
    .configureOutput(OUTPUT)
    .exitOverride()
    .action(async (input: string, stylized: string, flags: { reference?: string; json?: boolean }) => {
      const report = await measureStability(input, stylized, flags.reference);
      if (flags.json) return printJson(report);
      const lines = [`frames ${report.frames} (${report.cuts} hard cut(s) left out of E_warp)`, `E_warp ${report.warpingError.toExponential(3)}`];
      const r = report.reference;
      if (r) lines.push(`PSNR ${r.psnr.toFixed(2)} dB`, `SSIM ${r.ssim.toFixed(4)}`, `luminance drift mean ${(100 * r.meanLuminanceDrift).toFixed(2)}% max ${(100 * r.maxLuminanceDrift).toFixed(2)}%`);
      process.stdout.write(lines.join('\n') + '\n');
    });
  program
    .command('styles')
    .description('list the styles, and which are cached')
    .option('--json', 'print JSON')
    .configureOutput(OUTPUT)
    .exitOverride()
    .action(listStyles);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  const verbose = argv.includes('--verbose');
  const json = argv.includes('--json');
  // Every way out stops our ffmpeg processes and removes unfinished outputs.
  const cleanUp = async () => {
    killAllFfmpeg();
    await discardAllPending();
  };
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.on(signal, () => {
      void cleanUp().finally(() => {
        process.stderr.write(`stylize-video: stopped by ${signal}; no output was written\n`);
        process.exit(code);
      });
    });
  };
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
  // Every promise is awaited; should one slip through, it still ends the run cleanly.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`stylize-video: internal error: ${reason instanceof Error ? reason.message : String(reason)}\n`);
    void cleanUp().finally(() => process.exit(1));
  });
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message already.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    await cleanUp();
    const code = err instanceof UserError ? err.exitCode : 1;
    const message = err instanceof Error ? err.message : String(err);
    if (json) printJson({ type: 'error', message, exitCode: code });
    process.stderr.write(`stylize-video: ${message}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return code;
  }
}
