// The library API: everything the CLI does, typed, for scripts and render farms.
export { stylizeVideo, defaultOutputPath, DEFAULT_TEMPORAL_STRENGTH } from './pipeline.js';
export type { StylizeVideoOptions, StylizeVideoResult, PipelineEvent, StageTimes } from './pipeline.js';
export { stylizeImage, isStillPath } from './still.js';
export type { StylizeImageOptions } from './still.js';
export { probeVideo } from './decode/probe.js';
export type { VideoInfo, Rational } from './decode/probe.js';
export { decodeFrames } from './decode/frames.js';
export { parseFrameRange, type FrameRange } from './decode/frame-range.js';
export { startEncoder } from './encode/encoder.js';
export { VIDEO_CODECS, type VideoCodec } from './encode/codecs.js';
export { createStylizer, type Stylizer, type StylizerOptions } from './stylize/stylizer.js';
export { initBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './stylize/backend.js';
export { STYLES, resolveModel, isCached, modelCacheDir, type ResolvedModel } from './stylize/model-store.js';
export { loadModelWeights, type ModelWeights } from './stylize/model-files.js';
export { TransformerNet } from './stylize/transformer-net.js';
export { ffmpegBinaries } from './ffmpeg.js';
export { UserError, UsageError } from './errors.js';
export type { RgbFrame } from './frame.js';
