// Where the ffmpeg/ffprobe binaries come from, and the one place that keeps track of the
// ffmpeg processes we start, so that no exit path can leave one running.
import { execFile, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import ffmpeg from 'fluent-ffmpeg';

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  /** where each came from: 'env', 'PATH' or 'npm' */
  source: { ffmpeg: string; ffprobe: string };
  /** the environment ffprobe runs in (see ffprobeEnvironment) */
  ffprobeEnv: NodeJS.ProcessEnv;
}

const require = createRequire(import.meta.url);

function onPath(name: string): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

function fromNpm(pkg: string): string | undefined {
  try {
    return (require(pkg) as { path: string }).path;
  } catch {
    return undefined;
  }
}

let resolved: FfmpegBinaries | undefined;

/**
 * FFMPEG_PATH / FFPROBE_PATH (fluent-ffmpeg's convention), then PATH, then the binaries shipped
 * in @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe, so `npm install` alone is enough.
 */
export function ffmpegBinaries(): FfmpegBinaries {
  if (resolved) return resolved;
  const pick = (envVar: string, name: string, pkg: string): [string, string] => {
    const env = process.env[envVar];
    if (env) return [env, 'env'];
    const path = onPath(name);
    if (path) return [path, 'PATH'];
    const npm = fromNpm(pkg);
    if (npm) return [npm, 'npm'];
    throw new Error(
      `${name} was not found: install it (apt-get install ffmpeg), set ${envVar}, or reinstall this package's dependencies (npm install)`,
    );
  };
  const [ffmpegPath, ffmpegSource] = pick('FFMPEG_PATH', 'ffmpeg', '@ffmpeg-installer/ffmpeg');
  const [ffprobePath, ffprobeSource] = pick('FFPROBE_PATH', 'ffprobe', '@ffprobe-installer/ffprobe');
  ffmpeg.setFfmpegPath(ffmpegPath);
  ffmpeg.setFfprobePath(ffprobePath);
  resolved = {
    ffmpeg: ffmpegPath,
    ffprobe: ffprobePath,
    source: { ffmpeg: ffmpegSource, ffprobe: ffprobeSource },
    ffprobeEnv: ffprobeEnvironment(ffprobeSource),
  };
  return resolved;
}

/**
 * The static ffprobe in @ffprobe-installer crashes (SIGSEGV) on every MPEG-TS file: to read the
 * stream's service name (ISO 6937) its built-in glibc loads the host's iconv module, which brings
 * the host's own libc along. With GCONV_PATH pointing where there are no modules, iconv fails
 * cleanly and ffprobe keeps the name's bytes as they are.
 */
function ffprobeEnvironment(source: string): NodeJS.ProcessEnv {
  return source === 'npm' ? { ...process.env, GCONV_PATH: '/nonexistent/stylize-video-no-iconv-modules' } : process.env;
}

/** Runs ffprobe to the end; rejects with the last line it printed on stderr. */
export function runFfprobe(args: string[], { timeout = 120_000 } = {}): Promise<{ stdout: string; stderr: string }> {
  const { ffprobe, ffprobeEnv } = ffmpegBinaries();
  return new Promise((resolve, reject) => {
    execFile(ffprobe, args, { env: ffprobeEnv, maxBuffer: 64 << 20, timeout }, (err, stdout, stderr) => {
      if (err) return reject(new Error(stderr.trim().split('\n').at(-1) || err.message));
      resolve({ stdout, stderr });
    });
  });
}

/** A fluent-ffmpeg command with the binaries resolved. */
export function ffmpegCommand(input?: string): ffmpeg.FfmpegCommand {
  ffmpegBinaries();
  return input === undefined ? ffmpeg() : ffmpeg(input);
}

const live = new Set<ffmpeg.FfmpegCommand>();

/** Registers a command until it ends, so killAllFfmpeg() can reach it from a signal handler. */
export function track(command: ffmpeg.FfmpegCommand): ffmpeg.FfmpegCommand {
  live.add(command);
  const forget = () => live.delete(command);
  command.once('end', forget).once('error', forget);
  return command;
}

export function killAllFfmpeg(): void {
  for (const command of live) command.kill('SIGKILL');
  live.clear();
}


const GENERIC = /^(Conversion failed|Error marking filters|Exiting normally|Error while (decoding|processing)|Error splitting|Cannot determine format of input stream|frame=|size=|video:)/;

const KNOWN_CAUSES: Array<[RegExp, string]> = [
  [/partial file|moov atom not found/, 'the file is truncated'],
  [/No space left on device/, 'the disk is full: free some space, or write the output elsewhere (-o)'],
  [/Permission denied/, 'permission denied'],
  [/decryption|encrypted|drm/i, 'the stream is encrypted'],
];

/** The root cause in ffmpeg's stderr as one short phrase, or empty when it said nothing useful. */
export function ffmpegReason(stderr: string | undefined): string {
  const text = stderr ?? '';
  for (const [pattern, cause] of KNOWN_CAUSES) if (pattern.test(text)) return cause;
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').trim())
    .filter((l) => l && !GENERIC.test(l));
  return lines[0] ?? '';
}
