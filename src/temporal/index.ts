// The temporal stage sits between the network and the encoder: it sees every input frame and its
// per-frame stylization, in order, and returns the frame to encode. The previous output, warped
// along the input's motion, is blended in where the consistency mask trusts it.
import type { RgbFrame } from '../frame.js';
import { opticalFlow, warpRgb, type Gray } from './flow.js';
import { opticalFlowTf } from './tf-flow.js';
import { CUT_COVERAGE, flowImage, motionBetween } from './motion.js';

export interface TemporalStage {
  readonly name: string;
  next(input: RgbFrame, stylized: RgbFrame): RgbFrame;
}

export interface TemporalOptions {
  /** 0 turns the stage off; 1 trusts the warped previous output fully where the mask allows */
  strength: number;
  /** below this share of trusted pixels the frame is taken as a hard cut and the blend restarts */
  cutCoverage?: number;
  /** compute the flow with TF.js ops on the active backend (where that is a GPU) instead of in JS */
  flowOnBackend?: boolean;
}

export function createTemporalStage(options: TemporalOptions): TemporalStage {
  const strength = options.strength;
  if (strength === 0) return { name: 'off', next: (_input, stylized) => stylized };
  const cutCoverage = options.cutCoverage ?? CUT_COVERAGE;
  const flow = options.flowOnBackend ? opticalFlowTf : opticalFlow;
  let previousGray: Gray | undefined;
  let previousOutput: Uint8Array | undefined;
  return {
    name: `flow blend ${strength}${options.flowOnBackend ? ' (flow on the GPU)' : ''}`,
    next(input, stylized) {
      const gray = flowImage(input);
      let output = stylized.data;
      if (previousGray && previousOutput) {
        const motion = motionBetween(previousGray, gray, input.width, input.height, flow);
        if (motion.coverage >= cutCoverage) output = blend(stylized.data, warpRgb(previousOutput, motion.backward), motion.mask, strength);
      }
      previousGray = gray;
      previousOutput = output;
      return { ...stylized, data: output };
    },
  };
}

/**
 * mask·strength·warped + (1 − mask·strength)·stylized, then each channel's mean moved back to the
 * stylized frame's: repeated resampling and masking otherwise creep (darker, flatter) over time.
 */
function blend(stylized: Uint8Array, warped: Float32Array, mask: Float32Array, strength: number): Uint8Array {
  const mixed = new Float32Array(stylized.length);
  const sums = [0, 0, 0, 0, 0, 0];
  for (let p = 0, i = 0; p < mask.length; p++) {
    const w = mask[p] * strength;
    for (let c = 0; c < 3; c++, i++) {
      mixed[i] = w * warped[i] + (1 - w) * stylized[i];
      sums[c] += mixed[i];
      sums[c + 3] += stylized[i];
    }
  }
  const shift = [0, 1, 2].map((c) => (sums[c + 3] - sums[c]) / mask.length);
  const out = new Uint8Array(stylized.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, mixed[i] + shift[i % 3] + 0.5));
  return out;
}
