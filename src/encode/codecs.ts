import { invalidOption, OptionError } from '../errors.js';

export const VIDEO_CODECS = ['h264', 'h265', 'vp9', 'prores'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

const CONTAINERS: Record<VideoCodec, string[]> = {
  h264: ['mp4', 'mov', 'mkv'],
  h265: ['mp4', 'mov', 'mkv'],
  vp9: ['webm', 'mkv', 'mp4'],
  prores: ['mov', 'mkv'],
};

export function checkCodecFits(codec: VideoCodec, container: string): void {
  if (!VIDEO_CODECS.includes(codec)) throw invalidOption('codec', codec, `use one of ${VIDEO_CODECS.join(', ')}`);
  if (!CONTAINERS[codec].includes(container)) {
    throw new OptionError(`{codec} ${codec} cannot go in a .${container} file: use ${CONTAINERS[codec].map((c) => '.' + c).join(', ')}`);
  }
}

export function codecArguments(
  codec: VideoCodec,
  container: string,
  width: number,
  height: number,
  /** crf and preset as the job resolved them (the option table's defaults for the codec); undefined leaves the encoder's own */
  crf: number | undefined,
  preset: string | undefined,
): string[] {
  checkCodecFits(codec, container);
  // 4:2:0 needs even sizes; odd ones keep their exact size in 4:4:4 rather than gaining a pixel.
  const even = width % 2 === 0 && height % 2 === 0;
  const quality = [...(crf === undefined ? [] : ['-crf', String(crf)]), ...(preset === undefined ? [] : ['-preset', preset])];
  switch (codec) {
    case 'h264':
      return ['-c:v', 'libx264', '-pix_fmt', even ? 'yuv420p' : 'yuv444p', ...quality];
    case 'h265':
      return ['-c:v', 'libx265', '-pix_fmt', even ? 'yuv420p' : 'yuv444p', ...quality, '-tag:v', 'hvc1', '-x265-params', 'log-level=error'];
    case 'vp9':
      return ['-c:v', 'libvpx-vp9', '-pix_fmt', even ? 'yuv420p' : 'yuv444p', ...(crf === undefined ? [] : ['-crf', String(crf)]), '-b:v', '0', '-row-mt', '1', ...(preset === undefined ? [] : ['-deadline', preset])];
    case 'prores':
      return ['-c:v', 'prores_ks', ...(preset === undefined ? [] : ['-profile:v', preset]), '-pix_fmt', 'yuv422p10le', '-vendor', 'apl0'];
  }
}
