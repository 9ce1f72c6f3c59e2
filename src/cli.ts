// The command line: parses flags, shows progress, maps failures to one line and an exit code.
// Everything it does is the library's; see src/index.ts.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { basename, dirname, extname, resolve, sep } from 'node:path';
import { UsageError, UserError } from './errors.js';
import { killAllFfmpeg } from './ffmpeg.js';
import { discardAllPending } from './output.js';
import { defaultOutputPath, frameChooser, stylizeVideo, type PipelineEvent } from './pipeline.js';
import { isStillPath, stylizeImage, stylizeVideoFrame } from './still.js';
import { parseFrameRange } from './decode/frame-range.js';
import { probeVideo } from './decode/probe.js';
import { containerOf } from './encode/encoder.js';
import { joinParts } from './parts/join.js';
import { kubernetesManifest, planFarm, PLAN_FORMATS, slurmScript, type PlanFormat } from './parts/farm-plan.js';
import { DEFAULT_PREVIEW_SCALE, DEFAULT_SHEET_FRAMES, preview, type PreviewOptions } from './preview.js';
import { VIDEO_CODECS, type VideoCodec } from './encode/codecs.js';
import { BACKEND_CHOICES, type BackendChoice } from './stylize/backend.js';
import { findStyle, isCached, licenceNotice, MODEL_SOURCE, modelCacheDir, STYLES, type StyleLicence } from './stylize/model-store.js';
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
  start?: string;
  duration?: string;
  shard?: string;
  partFrames?: number;
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
  // Said once, to people; --json carries it as the `licence` field instead.
  const tellLicence = (style: string, licence: StyleLicence | undefined) => {
    const notice = licenceNotice(style, licence);
    if (notice) log(notice);
  };
  if (isStillPath(input)) {
    const output = flags.output ?? defaultOutputPath(input, flags.style, extname(input));
    const result = await stylizeImage({ input, output, style: flags.style, model: flags.model, backend: flags.backend, overwrite: flags.overwrite });
    if (flags.json) printJson({ type: 'done', ...result });
    else log(`wrote ${result.output} (${result.width}x${result.height}, ${result.backend} backend)`);
    tellLicence(flags.style, result.licence);
    return;
  }
  if (flags.output && isStillPath(flags.output)) {
    const frame = flags.frames === undefined ? undefined : parseFrameRange(flags.frames);
    if (!frame || frame.end !== frame.start || flags.shard) {
      throw new UsageError(`${flags.output} is an image: it holds one frame, so choose it with --frames N (or write a video, or use "stylize-video preview" for a contact sheet)`);
    }
    const result = await stylizeVideoFrame({ input, output: flags.output, frame: frame.start, style: flags.style, model: flags.model, backend: flags.backend, overwrite: flags.overwrite });
    if (flags.json) printJson({ type: 'done', ...result });
    else log(`wrote frame ${result.frame} of ${input} to ${result.output} (${result.width}x${result.height}, ${result.backend} backend)`);
    tellLicence(flags.style, result.licence);
    return;
  }
  const bar = !flags.json && !flags.quiet && process.stderr.isTTY ? createProgressBar(process.stderr) : undefined;
  const onEvent = (event: PipelineEvent) => {
    if (flags.json) return printJson(event);
    if (event.type === 'start') {
      const shard = event.shard ? ` (shard ${event.shard.index}/${event.shard.count})` : '';
      log(`${event.input} → ${event.output}${shard}: ${event.width}x${event.height} @ ${event.fps.toFixed(3)} fps, ${event.totalFrames} frames to stylize`);
      tellLicence(flags.style, event.licence);
      if (event.parts.done) log(`resuming: ${event.parts.done} of ${event.parts.total} parts were already done`);
      if (event.warmupFrames) log(`${event.warmupFrames} of those frames are the temporal warm-up before a part, so it continues the frames before it seamlessly`);
      if (event.backend) {
        const skipped = event.backend.skipped.length ? ` (passed over: ${event.backend.skipped.join('; ')})` : '';
        log(`backend ${event.backend.name}${skipped}, ${event.concurrency} thread(s), batch ${event.batch}, model from ${event.modelSource}, temporal ${event.temporal}`);
      }
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
    start: flags.start,
    duration: flags.duration,
    shard: flags.shard,
    partFrames: flags.partFrames,
    onEvent,
  });
  bar?.done();
  if (flags.json) return printJson({ type: 'done', ...result });
  const pace = result.stylizedFrames ? ` (${(result.seconds / result.stylizedFrames).toFixed(2)} s/frame)` : '';
  if (result.joined) log(`wrote ${result.output}: ${result.frames} frames; stylized ${result.stylizedFrames} in ${formatSeconds(result.seconds)}${pace}`);
  else log(`shard done: ${result.parts.total} part(s), ${result.frames} frames in ${result.parts.folder}${pace}; when every shard is done: stylize-video join ${result.output}`);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

async function listStyles(flags: { json?: boolean }): Promise<void> {
  const shelf = process.env.STYLIZE_VIDEO_MODELS;
  const rows = await Promise.all(
    STYLES.map(async (s) => {
      const found = await findStyle(s.name);
      return {
        name: s.name,
        cached: found?.source === 'cache' || (found?.source === 'env' && (await isCached(s.name))),
        inModelsFolder: found?.source === 'env',
        credit: s.credit,
        licence: s.licence,
      };
    }),
  );
  if (flags.json) return printJson({ cache: modelCacheDir(), modelsFolder: shelf ?? null, source: MODEL_SOURCE, styles: rows });
  process.stdout.write(`styles (source: ${MODEL_SOURCE}); cache: ${modelCacheDir()}${shelf ? `; STYLIZE_VIDEO_MODELS: ${shelf}` : ''}\n`);
  for (const r of rows) {
    const where = r.inModelsFolder ? 'STYLIZE_VIDEO_MODELS' : r.cached ? 'cached' : 'downloads on first use';
    const licence = r.licence.commercialUse ? r.licence.name : 'research use only';
    process.stdout.write(`  ${r.name.padEnd(15)} ${where.padEnd(23)} ${licence.padEnd(18)} ${r.credit}\n`);
  }
  const research = rows.filter((r) => !r.licence.commercialUse);
  for (const licence of new Set(research.map((r) => r.licence))) {
    const names = research.filter((r) => r.licence === licence).map((r) => r.name).join(', ');
    process.stdout.write(`\nresearch use only (${names}): ${licence.terms} ${licence.url}\n`);
  }
}

/** The flags that decide what a render makes; `plan` passes them on to every shard. */
function addRenderOptions(command: Command): Command {
  return command
    .option('-s, --style <name>', 'style from the catalogue (stylize-video styles)', 'wave')
    .option('--frames <range>', 'only these frames, counted from 0: 120-239, 120- (to the end) or 42')
    .option('--start <time>', 'start at this time (seconds, M:SS or H:MM:SS.ms) instead of --frames')
    .option('--duration <time>', 'for this long')
    .option('--model <dir>', 'a model folder (manifest.json + float32 files) instead of a catalogue style')
    .option('--temporal <strength>', 'temporal-consistency strength, 0..1', strength)
    .option('--no-temporal', 'stylize every frame independently')
    .addOption(new Option('--codec <codec>', 'video codec').choices(VIDEO_CODECS))
    .option('--crf <n>', 'constant rate factor (quality; lower is better)', wholeNumber(0, 63))
    .option('--preset <name>', 'encoder preset (x264/x265: ultrafast … veryslow)')
    .option('--part-frames <n>', 'frames per part (default: 10 s, fewer for short videos); shards are runs of whole parts', wholeNumber(1, 1_000_000));
}

/** The render flags set on the command line, as arguments again. */
function renderArguments(flags: RenderFlags): string[] {
  const args = ['--style', flags.style];
  if (flags.model) args.push('--model', resolve(flags.model));
  if (flags.temporal === false) args.push('--no-temporal');
  else if (typeof flags.temporal === 'number') args.push('--temporal', String(flags.temporal));
  if (flags.codec) args.push('--codec', flags.codec);
  if (flags.crf !== undefined) args.push('--crf', String(flags.crf));
  if (flags.preset) args.push('--preset', flags.preset);
  return args;
}

/** The deepest folder that holds both absolute paths. */
function deepestCommonFolder(a: string, b: string): string {
  const [x, y] = [dirname(a).split(sep), dirname(b).split(sep)];
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return x.slice(0, n).join(sep) || sep;
}

async function plan(input: string, flags: RenderFlags & { shards: number; format: PlanFormat; command?: string; name?: string; image: string; claim: string; mountPath?: string; cpus: number }): Promise<void> {
  const output = flags.output ?? defaultOutputPath(input, flags.style);
  containerOf(output);
  const choose = frameChooser(flags);
  const { span, partFrames } = choose(await probeVideo(input));
  const farm = planFarm({
    input, output, span, partFrames, shards: flags.shards,
    renderArguments: renderArguments(flags),
    command: flags.command ? flags.command.split(/\s+/).filter(Boolean) : ['stylize-video'],
  });
  const name = flags.name ?? `stylize-${basename(input, extname(input))}`;
  if (flags.format === 'json') return printJson(farm);
  if (flags.format === 'slurm') return void process.stdout.write(slurmScript(farm, name, flags.cpus));
  // The volume must hold both files.
  const mountPath = flags.mountPath ?? deepestCommonFolder(farm.input, farm.output);
  process.stdout.write(kubernetesManifest(farm, name, { image: flags.image, claim: flags.claim, mountPath, cpu: flags.cpus }));
}

// Commander's usage errors in the same one-line form as ours.
const OUTPUT = {
  outputError: (text: string, write: (s: string) => void) => write(`stylize-video: ${text.replace(/^error: /, '').trim()}\n`),
};

/**
 * The flags every subcommand spells alike: -y/--overwrite where it writes a file, -q/--quiet where
 * it reports on stderr, --json, and --verbose (read by main). Each subcommand says which apply.
 */
function reportingFlags(command: Command, { writes, reports, json }: { writes: boolean; reports: boolean; json: string }): Command {
  if (writes) command.option('-y, --overwrite', 'replace an existing output');
  command.option('--json', json);
  if (reports) command.option('-q, --quiet', 'print nothing but errors');
  return command.option('--verbose', 'print stack traces with errors').configureOutput(OUTPUT).exitOverride();
}

export function buildProgram(): Command {
  const program = addRenderOptions(
    new Command('stylize-video')
      .configureOutput(OUTPUT)
      .description('Turn a video (or a still) into a painting in motion with a TransformerNet style.')
      .argument('<input>', 'video or image to stylize')
      .option('-o, --output <path>', 'output file (default: <input>.<style>.mp4 beside the input); .png with --frames N for one frame'),
  )
    .option('--shard <I/N>', 'render only shard I of N (0-based; auto/N reads SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX) into <output>.parts/, then: stylize-video join <output>')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--batch <n>', 'frames per inference call (default: 4 on native backends, 1 on wasm/cpu)', wholeNumber(1, 64))
    .option('--concurrency <n>', 'inference threads on the CPU backends (onnx, wasm, cpu): a count or a share of the cores like 50% (default: all cores)')
    .option('-y, --overwrite', 'replace an existing output (and discard parts of a different render)')
    .option('--json', 'print progress and the summary as JSON lines on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--verbose', 'print stack traces with errors')
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .exitOverride()
    .action(render);
  const subcommand = (name: string, flags: Parameters<typeof reportingFlags>[1]) => reportingFlags(program.command(name), flags);
  subcommand('metrics', { writes: false, reports: false, json: 'print JSON' })
    .description('stability report: E_warp of a stylized video along its input\'s motion; with --reference, PSNR, SSIM and luminance drift')
    .argument('<input>', 'the original video')
    .argument('<stylized>', 'its stylization')
    .option('--reference <video>', 'a reference stylization of the same input, e.g. made with --no-temporal')
    .action(async (input: string, stylized: string, flags: { reference?: string; json?: boolean }) => {
      const report = await measureStability(input, stylized, flags.reference);
      if (flags.json) return printJson(report);
      const lines = [`frames ${report.frames} (${report.cuts} hard cut(s) left out of E_warp)`, `E_warp ${report.warpingError.toExponential(3)}`];
      const r = report.reference;
      if (r) lines.push(`PSNR ${r.psnr.toFixed(2)} dB`, `SSIM ${r.ssim.toFixed(4)}`, `luminance drift mean ${(100 * r.meanLuminanceDrift).toFixed(2)}% max ${(100 * r.maxLuminanceDrift).toFixed(2)}%`);
      process.stdout.write(lines.join('\n') + '\n');
    });
  subcommand('join', { writes: true, reports: true, json: 'print the summary as JSON' })
    .description('join the parts that shards wrote into <output>.parts/, add the input\'s audio, and write <output>')
    .argument('<output>', 'the -o every shard was given')
    .option('--input <video>', 'where the input is now, if it moved since the shards ran (its audio goes into the output)')
    .option('--wait <seconds>', 'wait this long for parts still being rendered', wholeNumber(0, 31_536_000))
    .option('--keep-parts', 'keep <output>.parts/ after joining')
    .action(async (output: string, flags: { input?: string; wait?: number; keepParts?: boolean; overwrite?: boolean; json?: boolean; quiet?: boolean }) => {
      const result = await joinParts({ output, input: flags.input, waitSeconds: flags.wait, keepParts: flags.keepParts, overwrite: flags.overwrite });
      if (flags.json) return printJson({ type: 'done', ...result });
      if (!flags.quiet) process.stderr.write(`wrote ${result.output}: ${result.frames} frames from ${result.parts} parts${result.audio ? ', with the input\'s audio' : ''}\n`);
    });
  addRenderOptions(
    program
      .command('plan')
      .description('split a render into shards for a farm: a JSON manifest, a Slurm submission script, or a Kubernetes Indexed Job')
      .argument('<input>', 'the video to render')
      .option('-o, --output <path>', 'the output every shard writes parts for (default: <input>.<style>.mp4)'),
  )
    .requiredOption('--shards <n>', 'how many shards', wholeNumber(1, 100_000))
    .addOption(new Option('--format <format>', 'what to print').choices(PLAN_FORMATS).default('json'))
    .option('--command <cmd>', 'how farm nodes run this tool', 'stylize-video')
    .option('--name <name>', 'job name (default: stylize-<input name>)')
    .option('--cpus <n>', 'CPUs per shard (Slurm --cpus-per-task, Kubernetes cpu request)', wholeNumber(1, 1024), 2)
    .option('--image <image>', 'container image with stylize-video (k8s)', 'stylize-video:latest')
    .option('--claim <name>', 'PersistentVolumeClaim holding input and output (k8s)', 'media')
    .option('--mount-path <path>', 'where pods mount it (k8s; default: the deepest folder holding input and output)')
    .option('--verbose', 'print stack traces with errors')
    .configureOutput(OUTPUT)
    .exitOverride()
    .action(plan);
  subcommand('preview', { writes: true, reports: true, json: 'print the summary as JSON' })
    .description('a quick look: a side-by-side original|stylized clip, or with a .png output a contact sheet of evenly spaced frames')
    .argument('<input>', 'the video')
    .option('-s, --style <name>', 'style from the catalogue', 'wave')
    .option('-o, --output <path>', 'a video for side by side, an image for a contact sheet (default: <input>.<style>.preview.mp4)')
    .option('--frames <range>', 'the clip\'s frames (default: one second from the middle), or the span a sheet samples (default: all)')
    .option('--scale <factor>', 'size relative to the input', Number.parseFloat, DEFAULT_PREVIEW_SCALE)
    .option('--count <n>', 'frames on a contact sheet', wholeNumber(1, 100), DEFAULT_SHEET_FRAMES)
    .option('--model <dir>', 'a model folder instead of a catalogue style')
    .option('--temporal <strength>', 'temporal-consistency strength for the clip, 0..1', strength)
    .option('--no-temporal', 'stylize the clip\'s frames independently')
    .addOption(new Option('--backend <name>', 'TF.js backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--concurrency <n>', 'inference threads on the CPU backends (onnx, wasm, cpu)')
    .action(async (input: string, flags: PreviewOptions & { json?: boolean; quiet?: boolean }) => {
      const result = await preview({ ...flags, input });
      if (flags.json) return printJson({ type: 'done', ...result });
      if (flags.quiet) return;
      const what = result.kind === 'contact-sheet' ? `a contact sheet of frames ${result.frames.join(', ')}` : `frames ${result.frames[0]}-${result.frames.at(-1)} side by side`;
      process.stderr.write(`wrote ${result.output}: ${what}, ${result.width}x${result.height}, in ${formatSeconds(result.seconds)}\n`);
      const notice = licenceNotice(flags.style, result.licence);
      if (notice) process.stderr.write(notice + '\n');
    });
  subcommand('styles', { writes: false, reports: false, json: 'print JSON' })
    .description('list the styles, their licences, and which are cached')
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
        process.stderr.write(`stylize-video: stopped by ${signal}; unfinished files removed; finished parts stay in <output>.parts/ and the same command continues from them\n`);
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
