// The library API: everything the CLI does, typed, for scripts and render farms.
export { stylize, type StylizeResult } from './stylize-input.js';
import { OPTIONS } from './options/table.js';
export { OPTIONS, type OptionValues, type OptionSpec } from './options/table.js';
export { OptionError } from './errors.js';
export { resolveRender, resolveVideo, resolveImage, resolveFrame, resolvePreview, plannedRuns, frameChooser, defaultOutputPath, chooseStyle, isStillPath } from './job/index.js';
export type { VideoJob, ImageJob, FrameJob, PreviewJob, StyleChoice, RenderRequest, VideoRequest } from './job/index.js';
export { stylizeVideo, runVideo } from './pipeline.js';
export type { StylizeVideoOptions, StylizeVideoResult, PipelineEvent, StageTimes } from './pipeline.js';
export { stylizeImage, stylizeVideoFrame, runImage, runFrame } from './still.js';
export type { StylizeImageOptions, StylizeImageResult, StylizeVideoFrameOptions, StylizeVideoFrameResult } from './still.js';
export { preview, runPreview, type PreviewOptions, type PreviewResult } from './preview.js';
export { joinParts, type JoinOptions, type JoinResult } from './parts/join.js';
export { parseShard, partsOf, shardParts, defaultPartLength, warmupFrames, type FrameSpan, type Part, type ShardSpec } from './parts/part-plan.js';
export { planFarm, slurmScript, kubernetesManifest, type FarmPlan, type FarmPlanInput } from './parts/farm-plan.js';
export { probeVideo } from './decode/probe.js';
export type { VideoInfo, Rational } from './decode/probe.js';
export { decodeFrames } from './decode/frames.js';
export { parseFrameRange, type FrameRange } from './decode/frame-range.js';
export { startEncoder } from './encode/encoder.js';
export { VIDEO_CODECS, type VideoCodec } from './encode/codecs.js';
export { createStylizer, type Stylizer, type StylizerOptions } from './stylize/stylizer.js';
export { withLook, autoStrokeScale, networkSize, PLAIN_LOOK, MAX_STROKE_SCALE, type Look } from './stylize/look.js';
export { initBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './stylize/backend.js';
export { BUILT_IN_STYLES, builtInPicture, type BuiltInStyle } from './stylize/built-in-styles.js';
export { STYLES, resolveModel, findStyle, isCached, modelCacheDir, licenceNotice, type ResolvedModel, type StyleLicence } from './stylize/model-store.js';
export { loadModelWeights, type ModelWeights } from './stylize/model-files.js';
export { isStyleImage, styleVector, blendVectors, prepareForPredictor, magentaOnnx } from './stylize/magenta.js';
export { readTflite, type TfliteModel } from './stylize/tflite.js';
export { tfliteToOnnx } from './stylize/tflite-onnx.js';
export { TransformerNet } from './stylize/transformer-net.js';
export { ffmpegBinaries } from './ffmpeg.js';
export { UserError, UsageError } from './errors.js';
export type { RgbFrame } from './frame.js';
export { createTemporalStage, type FinishedFrame, type TemporalStage, type TemporalOptions } from './temporal/index.js';
export { measureStability, type StabilityReport } from './metrics/index.js';

/** The temporal stage's default strength, as the option table declares it. */
export const DEFAULT_TEMPORAL_STRENGTH = OPTIONS.temporal.default as number;
