// Every option, once: its command-line flag, its API name (the key), its type, default and check,
// whether it changes the pixels (then plan.json records it and parts made otherwise are refused),
// and how a farm's shards receive it. Commander's definitions, the public option types, the shard
// command line and plan.json's identity all derive from here (see ./derive.ts).
import { resolve } from 'node:path';
import { parseFrameRange, parseTimecode, type FrameRange } from '../decode/frame-range.js';
import { VIDEO_CODECS, type VideoCodec } from '../encode/codecs.js';
import { parseShard, type ShardSpec } from '../parts/part-plan.js';
import { BACKEND_CHOICES, type BackendChoice } from '../stylize/backend.js';
import { PRECISION_CHOICES, type PrecisionChoice } from '../stylize/int8.js';
import { parseConcurrency } from '../stylize/stylizer.js';
import { isStyleImage } from '../stylize/magenta.js';
import { MAX_STROKE_SCALE } from '../stylize/look.js';
import { DETAIL_DEFAULT } from '../temporal/detail-gain.js';
import { detailGain, flag, fraction, oneOf, oneOrSeveral, scaleOrAuto, seconds, strength, styleSwitches, text, unitInterval, wholeNumber, zeroToOne, type StyleAt, type Validator } from './validators.js';

export interface OptionSpec<V> {
  /** commander's flags: '-s, --style <name>' */
  flags: string;
  description: string;
  validator: Validator<V>;
  /** `--no-<flag>` too, with this description: the value false */
  negation?: string;
  /** given several times on the command line, the values in a list (each flag's parse returns a list) */
  repeatable?: boolean;
  /** the choices commander lists in the help */
  choices?: readonly string[];
  /** the value when the caller gives none, on the command line and in the API alike */
  default?: V;
  /** a default that follows from what the render resolved before it (the help names it in the description) */
  derivedDefault?: (resolved: { container: string; codec: VideoCodec }) => V | undefined;
  /**
   * Changes the pixels: plan.json records the option under its name, as the render resolved it (see
   * resolveVideo in src/job/video.ts), and parts made with another value are not mixed in.
   */
  pixels?: boolean;
  /**
   * How `plan` passes the option on to every shard, as arguments. Options a plan spells out itself
   * (the output, the frames, the part length, the shard) and those of the machine (backend,
   * threads) have none.
   */
  shardArguments?: (value: V) => string[];
}

const spec = <V>(s: OptionSpec<V>): OptionSpec<V> => s;
/** The temporal stage's default strength, chosen with the independent judge (docs/temporal-consistency.md). */
const TEMPORAL_DEFAULT = 0.9;
const asArguments = (flag: string) => (value: unknown) => [flag, String(value)];

export const OPTIONS = {
  /**
   * a built-in picture style (default `hokusai`; they ship inside the package and work offline), a
   * catalogue network (`wave`, …, downloaded on first use; `stylize-video styles` lists them all), or
   * a picture file (any image sharp reads) whose style Magenta's arbitrary-style network takes
   */
  style: spec<string>({
    flags: '-s, --style <name|picture>',
    description: 'a built-in style (hokusai, munch, picabia, turner), a catalogue network (stylize-video styles), or a picture file to take the style from',
    validator: text(),
    default: 'hokusai',
    pixels: true,
    shardArguments: (style) => ['--style', isStyleImage(style) ? resolve(style) : style],
  }),
  /** with a picture as the style: 0 keeps the content's own style, 1 (default) takes the picture's; the style vector is (1 - r) · content + r · picture */
  styleStrength: spec<number>({
    flags: '--style-strength <r>',
    description: 'with a picture as the style: 0..1, how much of its style (default 1); the rest is the content\'s own, from the first frame',
    validator: unitInterval,
    pixels: true,
    shardArguments: asArguments('--style-strength'),
  }),
  /**
   * the network works at 1/s of the frame's size and its output is brought back up guided by the
   * frame, so strokes are s times bigger and the network's work about s² times less; auto: the
   * frame's short side / 360, at least 1 (strokes as at 640x360). A contact sheet takes several
   * (`[1, 2, 4]`, on the command line `1,2,4`): one column each.
   */
  strokeScale: spec<number | 'auto' | Array<number | 'auto'>>({
    flags: '--stroke-scale <s|auto>',
    description: 'strokes s times bigger: the network works at 1/s of the size (1..16; auto: short side / 360; a contact sheet takes several: 1,2,4)',
    validator: oneOrSeveral(scaleOrAuto(MAX_STROKE_SCALE)),
    default: 1,
    pixels: true,
    shardArguments: asArguments('--stroke-scale'),
  }),
  /**
   * how much of the style, 0..1: the output is a · stylized + (1 − a) · original, after
   * --style-strength has acted on the style itself. A contact sheet takes several: one column each.
   */
  intensity: spec<number | number[]>({
    flags: '--intensity <a>',
    description: 'how much of the style, 0..1: the stylized frame mixed with the original (a contact sheet takes several: 0.3,0.6,1)',
    validator: oneOrSeveral(zeroToOne('give an intensity from 0 (the original) to 1 (fully stylized)')),
    default: 1,
    pixels: true,
    shardArguments: asArguments('--intensity'),
  }),
  /** keep the footage's own colours: the stylized luma (BT.601) with the input's chroma */
  originalColors: spec<boolean>({
    flags: '--original-colors',
    description: 'keep the footage\'s colours: the stylized brightness with the original chroma',
    validator: flag,
    default: false,
    pixels: true,
    shardArguments: (on) => (on ? ['--original-colors'] : []),
  }),
  /**
   * styles that change over time: from each switch on, its style (anything {style} takes, or a model
   * folder); before the first, {style}. A switch given as a time within half a second of a hard cut
   * lands on the cut; one given as a frame is exact (docs/controls.md, Style over time).
   */
  styleAt: spec<StyleAt[]>({
    flags: '--style-at <when=style>',
    description: 'switch style at a time or frame, repeatable: 65.5=munch, 1:05.5=painting.jpg, f120=wave (a time near a hard cut lands on the cut)',
    validator: styleSwitches,
    repeatable: true,
    pixels: true,
    shardArguments: (switches) => switches.flatMap((at) => ['--style-at', `${at.frame !== undefined ? `f${at.frame}` : at.time}=${isStyleImage(at.style) ? resolve(at.style) : at.style}`]),
  }),
  /** with --style-at: each switch crossfades from the style before over this many seconds, from the switch on (0, the default: a hard switch) */
  styleFade: spec<number>({
    flags: '--style-fade <seconds>',
    description: 'with --style-at: crossfade over this many seconds from each switch (0: a hard switch, the temporal stage restarts)',
    validator: seconds(3600, 'give the crossfade\'s length in seconds, 0 (a hard switch) or more'),
    default: 0,
    pixels: true,
    shardArguments: asArguments('--style-fade'),
  }),
  /** the output file; default `<input name>.<style>.mp4` beside the input */
  output: spec<string>({ flags: '-o, --output <path>', description: 'output file (default: <input>.<style>.mp4 beside the input); .png with --frames N for one frame', validator: text() }),
  /** a model folder (manifest.json + float32 files) to use instead of the catalogue's style; identified by its weights' SHA-256 */
  model: spec<string>({ flags: '--model <dir>', description: 'a model folder (manifest.json + float32 files) instead of a catalogue style', validator: text(), pixels: true, shardArguments: (dir) => ['--model', resolve(dir)] }),
  /** only these frames: "120-239", "120-", "42", or a parsed range (0-based, inclusive) */
  frames: spec<string | FrameRange>({
    flags: '--frames <range>',
    description: 'only these frames, counted from 0: 120-239, 120- (to the end) or 42',
    validator: text((value) => void (typeof value === 'string' && parseFrameRange(value))),
  }),
  /** or by time: from this many seconds in (or a timecode "1:23.5") ... */
  start: spec<number | string>({ flags: '--start <time>', description: 'start at this time (seconds, M:SS or H:MM:SS.ms) instead of --frames', validator: text((value) => void (typeof value === 'string' && parseTimecode(value, 'start'))) }),
  /** ... for this long */
  duration: spec<number | string>({ flags: '--duration <time>', description: 'for this long', validator: text((value) => void (typeof value === 'string' && parseTimecode(value, 'duration'))) }),
  /**
   * temporal-consistency strength 0..1: the largest share of the warped past a pixel takes (the
   * stage takes less where it would cost the style's structure; docs/temporal-consistency.md); true
   * for the default, false or 0 for independent frames
   */
  temporal: spec<boolean | number>({
    flags: '--temporal <strength>',
    description: 'temporal-consistency strength, 0..1',
    negation: 'stylize every frame independently',
    validator: strength,
    default: TEMPORAL_DEFAULT,
    pixels: true,
    // The default travels as the default (commander fills it in, so it is not the caller's choice).
    shardArguments: (value) => (value === false ? ['--no-temporal'] : typeof value === 'number' && value !== TEMPORAL_DEFAULT ? ['--temporal', String(value)] : []),
  }),
  /**
   * the detail gain: the fine band (luma less its 5x5 mean) of each frame the temporal stage blends
   * with the past, scaled back up in the frame shown, by this where the past weighs half (as the
   * blend averages part of it away); 1 shows the blend as it is (docs/temporal-detail.md, The
   * detail gain by the blend's weight)
   */
  detail: spec<number>({
    flags: '--detail <gain>',
    description: 'crisper strokes where the temporal stage blends: 1 (the blend as it is) to 2; more brings back more of the detail the blend averages away, for a little more flicker (about 1.4 on handheld shots)',
    validator: detailGain,
    default: DETAIL_DEFAULT,
    pixels: true,
    shardArguments: (gain) => (gain === DETAIL_DEFAULT ? [] : ['--detail', String(gain)]),
  }),
  /** the video codec; default vp9 in .webm, h264 elsewhere */
  codec: spec<VideoCodec>({
    flags: '--codec <codec>',
    description: 'video codec (default: vp9 in .webm, h264 elsewhere)',
    choices: VIDEO_CODECS,
    validator: oneOf(VIDEO_CODECS),
    derivedDefault: ({ container }) => (container === 'webm' ? 'vp9' : 'h264'),
    pixels: true,
    shardArguments: asArguments('--codec'),
  }),
  /** quality, lower is better; default 18 h264, 22 h265, 31 vp9 (prores takes a --preset profile instead) */
  crf: spec<number>({
    flags: '--crf <n>',
    description: 'constant rate factor (quality; lower is better; default: 18 h264, 22 h265, 31 vp9)',
    validator: wholeNumber(0, 63),
    derivedDefault: ({ codec }) => ({ h264: 18, h265: 22, vp9: 31, prores: undefined })[codec],
    pixels: true,
    shardArguments: asArguments('--crf'),
  }),
  /** x264/x265 preset, vp9 deadline, or prores profile; default medium for x264/x265, profile 3 (422 HQ) for prores, libvpx's own for vp9 */
  preset: spec<string>({
    flags: '--preset <name>',
    description: 'encoder preset (x264/x265: ultrafast … veryslow, default medium; vp9: good, best, realtime; prores: profile 0..5, default 3)',
    validator: text(),
    derivedDefault: ({ codec }) => ({ h264: 'medium', h265: 'medium', vp9: undefined, prores: '3' })[codec],
    pixels: true,
    shardArguments: asArguments('--preset'),
  }),
  /** frames per part (default: 10 s, less for short videos, at least 1 s) */
  partFrames: spec<number>({ flags: '--part-frames <n>', description: 'frames per part (default: 10 s, fewer for short videos); shards are runs of whole parts', validator: wholeNumber(1, 1_000_000), pixels: true }),
  /**
   * Render only shard I of N ("I/N", "auto/N" or parsed) into `<output>.parts/`, for `joinParts`
   * once every shard is done. Without it the render still goes by parts, resumes after a crash,
   * and joins them itself.
   */
  shard: spec<string | ShardSpec>({
    flags: '--shard <I/N>',
    description: 'render only shard I of N (0-based; auto/N reads SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX) into <output>.parts/, then: stylize-video join <output>',
    // "auto/N" is read where the shard runs, from its environment.
    validator: text((value) => void (typeof value === 'string' && !value.trim().startsWith('auto') && parseShard(value, {}))),
  }),
  backend: spec<BackendChoice>({ flags: '--backend <name>', description: 'engine: gpu (ONNX Runtime on WebGPU: Vulkan, Metal, D3D12), tfjs-gpu (CUDA), node, onnx (CPU), wasm, cpu; auto takes gpu only on a real GPU', choices: BACKEND_CHOICES, validator: oneOf(BACKEND_CHOICES), default: 'auto' }),
  /**
   * fp32 (default: the pixels of earlier renders and of the PyTorch reference), or int8 (ONNX
   * Runtime: the residual blocks' convolutions on integers, ranges calibrated once per model); auto:
   * int8 where this CPU runs it faster and the style passed the quality check, else fp32. plan.json
   * records the precision the render resolved to.
   */
  precision: spec<PrecisionChoice>({
    flags: '--precision <p>',
    description: 'network precision: int8 runs the residual blocks on integers (onnx backend); auto picks int8 where it is faster here and the style keeps its quality',
    choices: PRECISION_CHOICES,
    validator: oneOf(PRECISION_CHOICES),
    default: 'fp32',
    pixels: true,
    shardArguments: asArguments('--precision'),
  }),
  /** frames per inference call; default 4 on gpu and native backends, 1 on onnx/wasm/cpu */
  batch: spec<number>({ flags: '--batch <n>', description: 'frames per inference call (default: 4 on gpu and native backends, 1 on onnx/wasm/cpu)', validator: wholeNumber(1, 64) }),
  /** inference threads on onnx/wasm/cpu: a count or a percentage of the cores ('50%'); default all cores */
  concurrency: spec<number | string>({
    flags: '--concurrency <n>',
    description: 'inference threads on the CPU backends (onnx, wasm, cpu): a count or a share of the cores like 50% (default: all cores)',
    validator: text((value) => void parseConcurrency(value)),
  }),
  /**
   * worker threads that compute the temporal stage's flow ahead, beside the network (the flow
   * depends on the input alone); 0 computes it in the main thread, in turn with the blend; default:
   * the cores the network leaves, at least 1 (src/temporal/flow-pool.ts). The pixels are the same.
   */
  flowWorkers: spec<number>({ flags: '--flow-workers <n>', description: "threads computing the temporal stage's flow ahead, beside the network (0: in the main thread; default: the cores the network leaves, at least 1)", validator: wholeNumber(0, 64) }),
  /** while another process renders the same parts (its lock names it), wait up to this many seconds for it instead of failing; default 0 */
  wait: spec<number>({ flags: '--wait <seconds>', description: 'if another process is rendering the same parts, wait up to this long for it (default: fail at once, naming it)', validator: wholeNumber(0, 31_536_000) }),
  /** replace an existing output (and discard parts of a different render) */
  overwrite: spec<boolean>({ flags: '-y, --overwrite', description: 'replace an existing output (and discard parts of a different render)', validator: text() }),
  /** preview: size relative to the input (default 0.5) */
  scale: spec<number>({ flags: '--scale <factor>', description: 'size relative to the input', validator: fraction, default: 0.5 }),
  /** preview: frames on a contact sheet (default 6) */
  count: spec<number>({ flags: '--count <n>', description: 'frames on a contact sheet', validator: wholeNumber(1, 100), default: 6 }),
};

export type OptionName = keyof typeof OPTIONS;
type ValueOf<S> = S extends OptionSpec<infer V> ? V : never;
/** The options as API properties, each with the type and documentation of its table entry. */
export type OptionValues = { -readonly [K in OptionName]?: ValueOf<(typeof OPTIONS)[K]> };

/** The options a render takes, in the order the help lists them. */
export const RENDER_OPTIONS = ['output', 'style', 'styleStrength', 'strokeScale', 'intensity', 'originalColors', 'styleAt', 'styleFade', 'frames', 'start', 'duration', 'model', 'temporal', 'detail', 'codec', 'crf', 'preset', 'partFrames', 'shard', 'backend', 'precision', 'batch', 'concurrency', 'flowWorkers', 'wait', 'overwrite'] as const satisfies readonly OptionName[];
/** The options that decide what a render makes: `plan` takes them and hands them on to its shards. */
export const PLAN_OPTIONS = ['output', 'style', 'styleStrength', 'strokeScale', 'intensity', 'originalColors', 'styleAt', 'styleFade', 'frames', 'start', 'duration', 'model', 'temporal', 'detail', 'codec', 'crf', 'preset', 'partFrames', 'precision'] as const satisfies readonly OptionName[];
export const PREVIEW_OPTIONS = ['style', 'styleStrength', 'strokeScale', 'intensity', 'originalColors', 'styleAt', 'styleFade', 'output', 'frames', 'scale', 'count', 'model', 'temporal', 'detail', 'backend', 'precision', 'concurrency', 'overwrite'] as const satisfies readonly OptionName[];
export const STILL_OPTIONS = ['style', 'styleStrength', 'strokeScale', 'intensity', 'originalColors', 'output', 'model', 'backend', 'precision', 'overwrite'] as const satisfies readonly OptionName[];

/** An option's flag as the command line spells it in messages: '--part-frames', '-o', '-y/--overwrite'. */
export function flagSpelling(api: string): string {
  const entry = (OPTIONS as Record<string, OptionSpec<unknown>>)[api];
  if (!entry) return `--${api.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const [short, long] = entry.flags.split(/,\s*|\s+/).filter((part) => part.startsWith('-')) as [string, string?];
  if (api === 'overwrite') return `${short}/${long}`;
  return api === 'output' ? short : (long ?? short);
}
