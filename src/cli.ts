// The command line: parses flags, shows progress, maps failures to one line and an exit code.
// Everything it does is the library's; see src/index.ts. Its options are the table's
// (src/options/table.ts).
import { Command, CommanderError, Option } from 'commander';
import { basename, dirname, extname, sep } from 'node:path';
import { UsageError, UserError } from './errors.js';
import { killAllFfmpeg } from './ffmpeg.js';
import { resolveVideo } from './job/index.js';
import { discardAllPending } from './output.js';
import { type PipelineEvent, type StageTimes } from './pipeline.js';
import { stylize } from './stylize-input.js';
import { joinParts } from './parts/join.js';
import { kubernetesManifest, planFarm, PLAN_FORMATS, slurmScript, type PlanFormat } from './parts/farm-plan.js';
import { preview, type PreviewOptions } from './preview.js';
import { addOptions, commanderParser, shardArguments } from './options/derive.js';
import { spelledMessage } from './errors.js';
import { flagSpelling, OPTIONS, PLAN_OPTIONS, PREVIEW_OPTIONS, RENDER_OPTIONS, type OptionValues } from './options/table.js';
import * as validators from './options/validators.js';
import { findStyle, isCached, licenceNotice, MODEL_SOURCE, modelCacheDir, STYLES, type StyleLicence } from './stylize/model-store.js';
import { ARBITRARY, ARBITRARY_LICENCE } from './stylize/magenta.js';
import { BUILT_IN_STYLES } from './stylize/built-in-styles.js';
import { renderMemoryBytes } from './stylize/stylizer.js';
import { createProgressBar } from './progress-bar.js';
import { STAGE_FLOW } from './temporal/index.js';
import { measureStability } from './metrics/index.js';

type RenderFlags = OptionValues & { style: string; json?: boolean; quiet?: boolean; verbose?: boolean };

// Parsers of the flags that are not the table's (join --wait, plan --shards, --cpus).
export const wholeNumber = (min: number, max: number) => commanderParser(validators.wholeNumber(min, max), 'value');
export const strength = commanderParser(validators.strength, 'temporal') as (text: string) => number;

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
  const bar = !flags.json && !flags.quiet && process.stderr.isTTY ? createProgressBar(process.stderr) : undefined;
  const onEvent = (event: PipelineEvent) => {
    if (flags.json) return printJson(event);
    if (event.type === 'start') {
      const shard = event.shard ? ` (shard ${event.shard.index}/${event.shard.count})` : '';
      log(`${event.input} → ${event.output}${shard}: ${event.width}x${event.height} @ ${event.fps.toFixed(3)} fps, ${event.totalFrames} frames to stylize`);
      tellLicence(flags.style, event.licence);
      if (event.parts.done) log(`resuming: ${event.parts.done} of ${event.parts.total} parts were already done`);
      for (const d of event.parts.damaged ?? []) log(`part ${d.part} was damaged (${d.reason}): rendering it again`);
      if (event.warmupFrames) log(`${event.warmupFrames} of those frames are the temporal warm-up before a part, so it continues the frames before it seamlessly`);
      if (event.backend) {
        const skipped = event.backend.skipped.length ? ` (passed over: ${event.backend.skipped.join('; ')})` : '';
        log(`backend ${event.backend.name}${event.backend.adapter ? ` on ${event.backend.adapter}` : ''}${skipped}, ${event.concurrency} thread(s), batch ${event.batch}, model from ${event.modelSource}, temporal ${event.temporal}${event.flowWorkers === undefined ? '' : event.flowWorkers ? `, its flow in ${event.flowWorkers} worker thread(s)` : ', its flow in the main thread'}`);
        if (event.precision) log(`precision ${event.precision.name} (${event.precision.requested === event.precision.name ? 'asked for' : `${event.precision.requested}: ${event.precision.reason}`})`);
      }
    } else if (event.type === 'download') {
      bar?.update(`downloading ${event.progress.style}`, event.progress.receivedBytes, event.progress.totalBytes);
    } else {
      bar?.update('frames', event.frame, event.totalFrames, `${event.fps.toFixed(2)} fps  ETA ${formatSeconds(event.etaSeconds)}`);
    }
  };
  const { json, quiet, verbose, ...options } = flags;
  const routed = await stylize({ ...options, input, onEvent });
  bar?.done();
  const { kind, ...summary } = routed;
  if (json) return printJson({ type: 'done', ...summary });
  if (routed.kind === 'image') log(`wrote ${routed.output} (${routed.width}x${routed.height}, ${routed.backend} backend, ${routed.precision})`);
  if (routed.kind === 'frame') log(`wrote frame ${routed.frame} of ${input} to ${routed.output} (${routed.width}x${routed.height}, ${routed.backend} backend, ${routed.precision})`);
  if (routed.kind !== 'video') return tellLicence(flags.style, routed.licence);
  const result = routed;
  const pace = result.stylizedFrames ? ` (${(result.seconds / result.stylizedFrames).toFixed(2)} s/frame)` : '';
  if (result.joined) log(`wrote ${result.output}: ${result.frames} frames; stylized ${result.stylizedFrames} in ${formatSeconds(result.seconds)}${pace}`);
  else log(`shard done: ${result.parts.total} part(s), ${result.frames} frames in ${result.parts.folder}${pace}; when every shard is done: stylize-video join ${result.output}`);
  if (verbose && result.stylizedFrames) log(`time per frame: ${timePerFrame(result.stageSeconds, result.stylizedFrames)}`);
}

/** Where each frame's time went, in ms: the network's wall time, and the flow's beside the main thread's wait for it. */
function timePerFrame(t: StageTimes, frames: number): string {
  const ms = (s: number) => `${((1000 * s) / frames).toFixed(0)} ms`;
  return `decode ${ms(t.decode)}, network ${ms(t.stylizeWall)} (wall; ${ms(t.stylize)} summed over batches), flow ${ms(t.flow)} (main thread waited ${ms(t.flowWait)}), warp+blend ${ms(t.temporal)}, encode ${ms(t.encode)}`;
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
  const builtIn = BUILT_IN_STYLES.map((s) => ({ name: s.name, credit: s.credit, licence: ARBITRARY_LICENCE, default: s.name === OPTIONS.style.default }));
  const arbitrary = { name: ARBITRARY.name, usage: '--style <picture file>', credit: ARBITRARY.credit, licence: ARBITRARY_LICENCE, files: Object.keys(ARBITRARY.files) };
  if (flags.json) return printJson({ cache: modelCacheDir(), modelsFolder: shelf ?? null, source: MODEL_SOURCE, builtIn, styles: rows, arbitrary });
  const out = (line: string) => void process.stdout.write(line + '\n');
  out(`built in (in the package, offline; the paintings are public domain, the networks ${ARBITRARY_LICENCE.name}: any use):`);
  for (const s of builtIn) out(`  ${s.name.padEnd(15)} ${(s.default ? 'the default' : '').padEnd(23)} ${s.licence.name.padEnd(18)} ${s.credit}`);
  out(`\ncatalogue networks (source: ${MODEL_SOURCE}); cache: ${modelCacheDir()}${shelf ? `; STYLIZE_VIDEO_MODELS: ${shelf}` : ''}`);
  for (const r of rows) {
    const where = r.inModelsFolder ? 'STYLIZE_VIDEO_MODELS' : r.cached ? 'cached' : 'downloads on first use';
    const licence = r.licence.commercialUse ? r.licence.name : 'research use only';
    out(`  ${r.name.padEnd(15)} ${where.padEnd(23)} ${licence.padEnd(18)} ${r.credit}`);
  }
  out(`\nany picture as the style (--style painting.jpg, --style-strength 0..1): ${arbitrary.name}, ${arbitrary.licence.name}; ${arbitrary.credit}`);
  const research = rows.filter((r) => !r.licence.commercialUse);
  for (const licence of new Set(research.map((r) => r.licence))) {
    const names = research.filter((r) => r.licence === licence).map((r) => r.name).join(', ');
    out(`\nresearch use only (${names}): ${licence.terms} ${licence.url}`);
  }
}

/** The deepest folder that holds both absolute paths. */
function deepestCommonFolder(a: string, b: string): string {
  const [x, y] = [dirname(a).split(sep), dirname(b).split(sep)];
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return x.slice(0, n).join(sep) || sep;
}

async function plan(input: string, flags: RenderFlags & { shards: number; format: PlanFormat; command?: string; name?: string; image: string; claim: string; mountPath?: string; modelsClaim?: string; cpus: number }): Promise<void> {
  // A plan writes nothing itself: its shards check the output where they run.
  const job = await resolveVideo({ ...flags, input }, 'plan');
  const farm = planFarm({
    input, output: job.output, span: job.span, partFrames: job.partFrames, shards: flags.shards,
    // The style and precision as resolved here: every shard renders the same pixels, whatever its CPU.
    renderArguments: shardArguments(job.shardValues, PLAN_OPTIONS),
    command: flags.command ? flags.command.split(/\s+/).filter(Boolean) : ['stylize-video'],
  });
  const name = flags.name ?? `stylize-${basename(input, extname(input))}`;
  if (flags.format === 'json') return printJson(farm);
  if (flags.format === 'slurm') return void process.stdout.write(slurmScript(farm, name, flags.cpus));
  // The volume must hold both files.
  const mountPath = flags.mountPath ?? deepestCommonFolder(farm.input, farm.output);
  // A volume at / would hide the image's own files.
  if (mountPath === sep) throw new UsageError(`${farm.input} and ${farm.output} share no folder but /, where a pod cannot mount their volume: put them under one folder, or give --mount-path`);
  process.stdout.write(kubernetesManifest(farm, name, { image: flags.image, claim: flags.claim, mountPath, cpu: flags.cpus, memory: renderMemoryBytes(flags.cpus, job.info), modelsClaim: flags.modelsClaim }));
}

// Commander's usage errors in the same one-line form as ours.
const OUTPUT = {
  outputError: (text: string, write: (s: string) => void) => write(`stylize-video: ${text.replace(/^error: /, '').trim()}\n`),
};

/**
 * The flags every subcommand spells alike: -y/--overwrite where it writes a file, -q/--quiet where
 * it reports on stderr, --json, and --verbose (read by main). Each subcommand says which apply.
 */
function reportingFlags(command: Command, { writes, reports, json }: { writes?: string; reports: boolean; json: string }): Command {
  if (writes) addOptions(command, ['overwrite'], { overwrite: writes });
  command.option('--json', json);
  if (reports) command.option('-q, --quiet', 'print nothing but errors');
  return command.option('--verbose', 'print stack traces with errors').configureOutput(OUTPUT).exitOverride();
}

const withoutOverwrite = <T extends string>(names: readonly T[]) => names.filter((name) => name !== 'overwrite') as Exclude<T, 'overwrite'>[];

export function buildProgram(): Command {
  const program = reportingFlags(
    addOptions(
      new Command('stylize-video')
        .configureOutput(OUTPUT)
        .description('Turn a video (or a still) into a painting in motion: a built-in painting, a catalogue network, or any picture as the style.')
        .argument('<input>', 'video or image to stylize'),
      withoutOverwrite(RENDER_OPTIONS),
    ),
    { writes: 'replace an existing output (and discard parts of a different render)', reports: true, json: 'print progress and the summary as JSON lines on stdout' },
  )
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .action(render);
  const subcommand = (name: string, flags: Parameters<typeof reportingFlags>[1]) => reportingFlags(program.command(name), flags);
  subcommand('metrics', { reports: false, json: 'print JSON' })
    .description('stability report: E_warp of a stylized video along its input\'s motion; with --reference, PSNR, SSIM and luminance drift')
    .argument('<input>', 'the original video')
    .argument('<stylized>', 'its stylization')
    .option('--reference <video>', 'a reference stylization of the same input, e.g. made with --no-temporal')
    .action(async (input: string, stylized: string, flags: { reference?: string; json?: boolean }) => {
      const report = await measureStability(input, stylized, flags.reference);
      if (flags.json) return printJson(report);
      const lines = [`frames ${report.frames} (${report.cuts} hard cut(s) left out of E_warp)`, `E_warp ${report.warpingError.toExponential(3)} (along ${report.flow}; the temporal stage follows ${STAGE_FLOW})`];
      const r = report.reference;
      if (r) lines.push(`PSNR ${r.psnr.toFixed(2)} dB`, `SSIM ${r.ssim.toFixed(4)}`, `luminance drift mean ${(100 * r.meanLuminanceDrift).toFixed(2)}% max ${(100 * r.maxLuminanceDrift).toFixed(2)}%`);
      process.stdout.write(lines.join('\n') + '\n');
    });
  subcommand('join', { writes: 'replace an existing output', reports: true, json: 'print the summary as JSON' })
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
  addOptions(
    program
      .command('plan')
      .description('split a render into shards for a farm: a JSON manifest, a Slurm submission script, or a Kubernetes Indexed Job')
      .argument('<input>', 'the video to render'),
    PLAN_OPTIONS,
    { output: 'the output every shard writes parts for (default: <input>.<style>.mp4)' },
  )
    .requiredOption('--shards <n>', 'how many shards', wholeNumber(1, 100_000))
    .addOption(new Option('--format <format>', 'what to print').choices(PLAN_FORMATS).default('json'))
    .option('--command <cmd>', 'how farm nodes run this tool', 'stylize-video')
    .option('--name <name>', 'job name (default: stylize-<input name>)')
    .option('--cpus <n>', 'CPUs per shard (Slurm --cpus-per-task, Kubernetes cpu request)', wholeNumber(1, 1024), 2)
    .option('--image <image>', 'container image with stylize-video (k8s)', 'stylize-video:latest')
    .option('--claim <name>', 'PersistentVolumeClaim holding input and output (k8s)', 'media')
    .option('--mount-path <path>', 'where pods mount it (k8s; default: the deepest folder holding input and output)')
    .option('--models-claim <name>', 'PersistentVolumeClaim for the model cache, shared by the pods (k8s; default: an emptyDir per pod)')
    .option('--verbose', 'print stack traces with errors')
    .configureOutput(OUTPUT)
    .exitOverride()
    .action(plan);
  reportingFlags(
    addOptions(
      program
        .command('preview')
        .description('a quick look: a side-by-side original|stylized clip, or with a .png output a contact sheet of evenly spaced frames')
        .argument('<input>', 'the video'),
      withoutOverwrite(PREVIEW_OPTIONS),
      {
        style: 'style from the catalogue, or a picture file',
        output: 'a video for side by side, an image for a contact sheet (default: <input>.<style>.preview.mp4)',
        frames: "the clip's frames (default: one second from the middle), or the span a sheet samples (default: all)",
        model: 'a model folder instead of a catalogue style',
        temporal: 'temporal-consistency strength for the clip, 0..1',
        'no-temporal': "stylize the clip's frames independently",
        concurrency: 'inference threads on the CPU backends (onnx, wasm, cpu)',
      },
    ),
    { writes: 'replace an existing output', reports: true, json: 'print the summary as JSON' },
  )
    .action(async (input: string, flags: PreviewOptions & { json?: boolean; quiet?: boolean }) => {
      const result = await preview({ ...flags, input });
      if (flags.json) return printJson({ type: 'done', ...result });
      if (flags.quiet) return;
      const what = result.kind === 'contact-sheet' ? `a contact sheet of frames ${result.frames.join(', ')}` : `frames ${result.frames[0]}-${result.frames.at(-1)} side by side`;
      process.stderr.write(`wrote ${result.output}: ${what}, ${result.width}x${result.height}, in ${formatSeconds(result.seconds)}\n`);
      const notice = licenceNotice(flags.style!, result.licence);
      if (notice) process.stderr.write(notice + '\n');
    });
  subcommand('styles', { reports: false, json: 'print JSON' })
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
  // A reader that stops early (`stylize-video styles | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
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
    // The library names options as API properties; here they are flags.
    const message = spelledMessage(err, flagSpelling);
    if (json) printJson({ type: 'error', message, exitCode: code });
    process.stderr.write(`stylize-video: ${message}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return code;
  }
}
