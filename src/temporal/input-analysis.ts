// What the temporal stage needs of the input frames alone, never of their stylizations: each
// frame's grey image and colours, and with the frame before it the motion both ways. Being input
// only, it can be computed ahead of the network, in worker threads (flow-pool.ts), or in the
// stage's own thread; the same functions run in both, so the outputs are the same.
import type { RgbFrame } from '../frame.js';
import { colourHistogram } from './cuts.js';
import { DIS_STAGE, disFlow } from './dis-flow.js';
import { FARNEBACK_STAGE, farnebackFlow, loadOpenCv } from './farneback.js';
import { fusedFlow } from './fused-flow.js';
import type { Gray } from './image.js';
import { flowImage, trustedMotion, type FlowMethod, type Motion } from './motion.js';

/** The flows the stage follows: backward (the warp) and forward (the round-trip check, the look-ahead's warp). */
export interface StageFlows {
  backward: FlowMethod;
  forward: FlowMethod;
}

/** The stage's flows on the CPU: Farnebäck at FARNEBACK_STAGE both ways, fused with DIS backward, alone forward (at less cost). */
export async function cpuStageFlows(): Promise<StageFlows> {
  const farneback = farnebackFlow(await loadOpenCv(), FARNEBACK_STAGE);
  return { backward: fusedFlow(farneback, (a, b) => disFlow(a, b, DIS_STAGE)), forward: farneback };
}

/** A pair of consecutive input frames' motion: one pair of flows serves both looks. */
export interface PairMotion {
  /** from the later frame back to the earlier: the blend's warp of the previous output */
  back: Motion;
  /** from the earlier frame on to the later: the look-ahead's warp of the next stylization */
  ahead: Motion;
}

/** One input frame's analysis, with the frame before it in the run where there is one. */
export interface InputAnalysis {
  gray: Gray;
  /** its colours, for the cut test (cuts.ts) */
  colours: Float32Array;
  /** undefined for a run's first frame */
  pair?: PairMotion;
}

/**
 * The motion between two consecutive frames' grey images; `scale` is the frame's width over the
 * grey image's. The backward flow (followed by the warp) and the forward one (the round-trip
 * check) swap roles for the look back from the later frame and the look ahead from the earlier.
 */
export function pairMotion(previous: Gray, current: Gray, scale: number, flows: StageFlows): PairMotion {
  const backward = flows.backward(current, previous);
  const forward = flows.forward(previous, current);
  return { back: trustedMotion(previous, current, backward, forward, scale), ahead: trustedMotion(current, previous, forward, backward, scale) };
}

/** A frame's analysis: `previous` is the grey image of the frame before it in the run (none for the first). */
export function analyseInput(input: RgbFrame, previous: Gray | undefined, flows: StageFlows): InputAnalysis {
  const gray = flowImage(input);
  const colours = colourHistogram(input);
  return { gray, colours, pair: previous && pairMotion(previous, gray, input.width / gray.width, flows) };
}

/** The analysis of one frame, and the seconds of work it took (in whichever thread computed it). */
export interface AnalysedFrame {
  analysis: InputAnalysis;
  seconds: number;
}

/**
 * A run's input analysis as the orchestrator drives it: each frame is added as it is decoded, and
 * taken, in the same order, when the temporal stage is ready for it.
 */
export interface InputAnalyser {
  add(frame: RgbFrame): void;
  take(): Promise<AnalysedFrame>;
}

/** The analysis in the caller's thread, each frame when it is taken: the stage's own way, timed apart. */
export function analyseInThread(flows: StageFlows): InputAnalyser {
  const waiting: RgbFrame[] = [];
  let previous: Gray | undefined;
  return {
    add: (frame) => void waiting.push(frame),
    take: async () => {
      const frame = waiting.shift();
      if (!frame) throw new Error('no frame was added to be analysed');
      const t0 = performance.now();
      const analysis = analyseInput(frame, previous, flows);
      previous = analysis.gray;
      return { analysis, seconds: (performance.now() - t0) / 1000 };
    },
  };
}
