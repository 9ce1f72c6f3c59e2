// The stability report: E_warp (Lai et al. 2018) of a stylized video along its input's motion,
// and, against a reference stylization (usually per-frame), PSNR, SSIM and luminance drift.
// The ruler must not share the temporal stage's flow: a method judged by its own flow looks several
// times stabler than it is. The stage follows Farnebäck's flow (OpenCV) fused with DIS's; the report
// measures along the one flow the stage does not use, coarse-to-fine Lucas–Kanade
// (lucas-kanade.ts), and checks occlusions forward-backward, as an independent judge does: a
// coarser ruler than DeepFlow that favours no method (docs/temporal-method.md, Measuring).
import { decodeFrames } from '../decode/frames.js';
import { probeVideo } from '../decode/probe.js';
import { UserError } from '../errors.js';
import type { RgbFrame } from '../frame.js';
import { consistencyMask } from '../temporal/consistency.js';
import { boxSum, psnr, toGray, type Gray } from '../temporal/image.js';
import { coverageOf, CUT_COVERAGE, flowImage, type FlowMethod, type Motion } from '../temporal/motion.js';
import { resizeFlow, warpRgb } from '../temporal/warp.js';
import { opticalFlow } from './lucas-kanade.js';

export { psnr };

/** The flow the report measures along: one the temporal stage does not use. */
export const METRICS_FLOW = 'Lucas–Kanade, coarse to fine';
const metricsFlow: FlowMethod = (a, b) => opticalFlow(a, b);

/**
 * The motion at full size, for measuring: flows both ways resized, and the forward-backward check
 * per output pixel (occlusions and motion boundaries out), as an independent stability judge does.
 */
export function motionBetween(previous: Gray, current: Gray, width: number, height: number, flow: FlowMethod): Motion {
  const backward = resizeFlow(flow(current, previous), width, height);
  const mask = consistencyMask(backward, resizeFlow(flow(previous, current), width, height));
  return { backward, mask, coverage: coverageOf(mask) };
}

export interface StabilityReport {
  frames: number;
  /** the flow method E_warp was measured along */
  flow: string;
  /** mean over t of the masked mean squared difference between output t and output t-1 warped, values in [0,1] */
  warpingError: number;
  /** pairs left out of warpingError because no pixel of one frame continues the other (hard cuts) */
  cuts: number;
  reference?: {
    psnr: number;
    ssim: number;
    /** mean and largest relative difference of mean luminance, output against reference */
    meanLuminanceDrift: number;
    maxLuminanceDrift: number;
  };
}

function meanLuminance(f: RgbFrame): number {
  let sum = 0;
  for (let i = 0; i < f.data.length; i += 3) sum += 0.299 * f.data[i] + 0.587 * f.data[i + 1] + 0.114 * f.data[i + 2];
  return sum / (f.data.length / 3);
}

/** Window sums of two images a and b, and of a², b² and a·b, over windows of `area` pixels. */
interface WindowSums {
  a: Float32Array;
  b: Float32Array;
  aa: Float32Array;
  bb: Float32Array;
  ab: Float32Array;
}

/** Mean SSIM over the pixels, for intensities from 0 to `range` (1 or 255). */
function meanSsim(sums: WindowSums, area: number, range: number): number {
  const { a, b, aa, bb, ab } = sums;
  const c1 = (0.01 * range) ** 2, c2 = (0.03 * range) ** 2;
  const perArea = 1 / area;
  let total = 0;
  for (let k = 0; k < a.length; k++) {
    const ma = a[k] * perArea, mb = b[k] * perArea;
    const va = aa[k] * perArea - ma * ma, vb = bb[k] * perArea - mb * mb, cov = ab[k] * perArea - ma * mb;
    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  return total / a.length;
}

/** SSIM on luma with 7x7 box windows (Wang et al. 2004 constants). */
export function ssim(a: RgbFrame, b: RgbFrame): number {
  const { width, height } = a;
  const x = toGray(a.data, width, height).data;
  const y = toGray(b.data, width, height).data;
  const n = width * height;
  const prod = (f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const sum = (src: Float32Array) => {
    const out = new Float32Array(n);
    boxSum(src, width, height, 3, out);
    return out;
  };
  const sums = { a: sum(x), b: sum(y), aa: sum(prod((i) => x[i] * x[i])), bb: sum(prod((i) => y[i] * y[i])), ab: sum(prod((i) => x[i] * y[i])) };
  return meanSsim(sums, 49, 1);
}

export async function measureStability(input: string, stylized: string, reference?: string): Promise<StabilityReport> {
  const inputInfo = await probeVideo(input);
  const outputInfo = await probeVideo(stylized);
  if (outputInfo.width !== inputInfo.width || outputInfo.height !== inputInfo.height) {
    throw new UserError(`${stylized} is ${outputInfo.width}x${outputInfo.height} but ${input} is ${inputInfo.width}x${inputInfo.height}: compare a stylization with its own input`);
  }
  const inputs = decodeFrames(inputInfo);
  const outputs = decodeFrames(outputInfo);
  const references = reference ? decodeFrames(await probeVideo(reference)) : undefined;
  let previous: { gray: ReturnType<typeof flowImage>; output: RgbFrame } | undefined;
  let frames = 0, cuts = 0, warpSum = 0, warpCount = 0, psnrSum = 0, ssimSum = 0, driftSum = 0, driftMax = 0;
  for (;;) {
    const [i, o, r] = await Promise.all([inputs.next(), outputs.next(), references?.next()]);
    if (i.done || o.done || (references && r?.done)) break;
    frames++;
    const gray = flowImage(i.value);
    if (previous) {
      const motion = motionBetween(previous.gray, gray, i.value.width, i.value.height, metricsFlow);
      // Across a cut every pixel is occluded; the few the mask keeps are chance matches.
      if (motion.coverage < CUT_COVERAGE) cuts++;
      const warped = warpRgb(previous.output.data, motion.backward);
      let sum = 0, weight = 0;
      for (let p = 0; p < motion.mask.length; p++) {
        if (!motion.mask[p]) continue;
        for (let c = 0; c < 3; c++) sum += ((o.value.data[3 * p + c] - warped[3 * p + c]) / 255) ** 2;
        weight += 3;
      }
      if (weight && motion.coverage >= CUT_COVERAGE) (warpSum += sum / weight), warpCount++;
    }
    if (r?.value) {
      psnrSum += psnr(o.value.data, r.value.data);
      ssimSum += ssim(o.value, r.value);
      const drift = (meanLuminance(o.value) - meanLuminance(r.value)) / Math.max(1, meanLuminance(r.value));
      driftSum += drift;
      driftMax = Math.max(driftMax, Math.abs(drift));
    }
    previous = { gray, output: o.value };
  }
  await Promise.all([inputs.return(undefined), outputs.return(undefined), references?.return(undefined)]);
  return {
    frames,
    flow: METRICS_FLOW,
    warpingError: warpCount ? warpSum / warpCount : 0,
    cuts,
    reference: reference ? { psnr: psnrSum / frames, ssim: ssimSum / frames, meanLuminanceDrift: driftSum / frames, maxLuminanceDrift: driftMax } : undefined,
  };
}
