// The temporal stage sits between the network and the encoder: it sees every input frame and its
// per-frame stylization, in order, and returns the frame to encode.
import type { RgbFrame } from '../frame.js';

export interface TemporalStage {
  readonly name: string;
  next(input: RgbFrame, stylized: RgbFrame): RgbFrame;
}

export interface TemporalOptions {
  /** 0 turns the stage off; 1 trusts the warped previous output fully where the mask allows */
  strength: number;
}

/** Until flow-warped blending lands, every strength passes frames through unchanged. */
export function createTemporalStage(_options: TemporalOptions): TemporalStage {
  return { name: 'off', next: (_input, stylized) => stylized };
}
