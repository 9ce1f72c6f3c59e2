#!/usr/bin/env node
// The temporal stage alone on a per-frame render, encoded: node research/temporal-offline.js input.mp4 perframe.mp4 out.mp4 [--crf N] [--frames N] [--temporal S] [--select TAKE,LEAVE[,FEATHER[,MIX[,FINE]]]] [--keyframe EVERY,BELOW,FROM[,FINE]] [--finefilter HISTORY[,MAXGAIN[,OWN[,ENERGY_RADIUS[,GAIN_HISTORY[,FRESH]]]]]] [--finegain G] [--detailfloor D[,CARRY[,MAXGAIN]]] [--weightgain S[,MAX[,RULE[,CAP]]]] [--ahead K[,SHARE]] [--history-warp KIND] [--history-leak KEEP] [--agreegain G[,S[,P]]] [--historygain G[,SHARE]] [--motiongain G,K,LO,HI] [--flows FILE] [--detail G] [--unshown]
// perframe.mp4 is a lossless --no-temporal render of input.mp4 (--crf 0), so that variants of the
// stage are measured without running the network again; out.mp4 is encoded as the CLI encodes
// (libx264, yuv420p, CRF 18 unless --crf). Prints the CPU the stage took a frame.
// --select: the fine band chosen instead of mixed (src/temporal/research/selective-blend.ts): the history's
// whole where the fine bands agree (normalised difference under TAKE, none over LEAVE, a switch
// feathered by a box of radius FEATHER), elsewhere MIX times the stage's own weight.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ffmpegBinaries } from '../dist/ffmpeg.js';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { crf: { type: 'string', default: '18' }, frames: { type: 'string', default: '48' }, temporal: { type: 'string' }, select: { type: 'string' }, keyframe: { type: 'string' }, finefilter: { type: 'string' }, finegain: { type: 'string' }, detailfloor: { type: 'string' }, detail: { type: 'string' }, weightgain: { type: 'string' }, ahead: { type: 'string' }, agreegain: { type: 'string' }, 'history-warp': { type: 'string' }, 'history-leak': { type: 'string' }, historygain: { type: 'string' }, motiongain: { type: 'string' }, flows: { type: 'string' }, unshown: { type: 'boolean', default: false } } });
const [input, stylizedPath, out] = positionals;
if (!input || !stylizedPath || !out) {
  console.error('usage: node research/temporal-offline.js input.mp4 perframe.mp4 out.mp4 [--crf N] [--frames N] [--temporal S] [--select TAKE,LEAVE[,FEATHER[,MIX[,FINE]]]] [--keyframe EVERY,BELOW,FROM[,FINE]] [--finefilter HISTORY[,MAXGAIN[,OWN[,ENERGY_RADIUS[,GAIN_HISTORY[,FRESH]]]]]] [--finegain G] [--detailfloor D[,CARRY[,MAXGAIN]]] [--weightgain S[,MAX[,RULE[,CAP]]]] [--ahead K[,SHARE]] [--history-warp KIND] [--history-leak KEEP] [--agreegain G[,S[,P]]] [--historygain G[,SHARE]] [--motiongain G,K,LO,HI] [--flows FILE] [--detail G] [--unshown]');
  process.exit(2);
}
const lib = await import('../dist/index.js');
const frameCount = Number(args.frames);
async function framesOf(path) {
  const info = await lib.probeVideo(path);
  const frames = [];
  for await (const frame of lib.decodeFrames(info, { startFrame: 0, frameCount })) frames.push(frame);
  return { frames, info };
}
const [{ frames: inputs, info }, { frames: stylized }] = await Promise.all([framesOf(input), framesOf(stylizedPath)]);
const { width, height } = inputs[0];
const fps = `${info.fps.num}/${info.fps.den}`;
const encoder = spawn(ffmpegBinaries().ffmpeg, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', fps, '-i', '-', '-c:v', 'libx264', '-crf', args.crf, '-pix_fmt', 'yuv420p', out], { stdio: ['pipe', 'inherit', 'inherit'] });
const strength = args.temporal === undefined ? lib.DEFAULT_TEMPORAL_STRENGTH : Number(args.temporal);
let fineWeight;
if (args.select) {
  const { FineSelection, SELECTION } = await import('../dist/temporal/research/selective-blend.js');
  const [take, leave, feather = SELECTION.featherRadius, mix = 0, fineRadius = SELECTION.fineRadius] = args.select.split(",").map(Number);
  let selection, out;
  fineWeight = ({ target, warped, weight, width, height }) => {
    if (selection?.width !== width || selection.height !== height) {
      selection = new FineSelection(width, height, { ...SELECTION, take, leave, featherRadius: feather, fineRadius });
      out = new Float32Array(width * height);
    }
    const choice = selection.choose(target, warped);
    for (let k = 0; k < out.length; k++) out[k] = choice[k] + (1 - choice[k]) * mix * weight[k];
    return out;
  };
}
let shown;
if (args.keyframe) {
  // --keyframe EVERY,BELOW,FROM[,FINE]: the fine band from a keyframe resampled once (src/temporal/research/fine-keyframe.ts),
  // FROM 1 the keyframe's own stylization, 0 the output shown; --unshown: the next frame blends with the blend, not what is shown
  const { FineKeyframe, KEYFRAME } = await import('../dist/temporal/research/fine-keyframe.js');
  const [refreshEvery, refreshBelow, from, fineRadius = KEYFRAME.fineRadius] = args.keyframe.split(',').map(Number);
  let keyframe;
  shown = {
    inHistory: !args.unshown,
    make: ({ stylized, output, backward, trust, width, height }) => {
      if (keyframe?.width !== width || keyframe.height !== height) keyframe = new FineKeyframe(width, height, { refreshEvery, refreshBelow, keyFromStylized: from === 1, fineRadius });
      return keyframe.apply(stylized, output, backward, trust);
    },
  };
}
if (args.finefilter) {
  // --finefilter HISTORY[,MAXGAIN[,OWN[,ENERGY_RADIUS[,GAIN_HISTORY[,FRESH]]]]]: the fine band filtered apart with HISTORY of the past, shown at the stylization's energy
  // (src/temporal/research/fine-band-filter.ts); OWN 1: the stylization's own fine band where nothing is trusted; FRESH 1: filter the
  // stylization's fine band, not the look-ahead mix's; MAXGAIN negative: one gain, −MAXGAIN, everywhere; ENERGY_RADIUS 0: one
  // gain for the whole frame from its energies, carried from frame to frame by GAIN_HISTORY
  const { FineBandFilter, FINE_FILTER } = await import('../dist/temporal/research/fine-band-filter.js');
  const [history, maxGain = FINE_FILTER.maxGain, own = 0, energyRadius = FINE_FILTER.energyRadius, gainHistory = FINE_FILTER.gainHistory, fresh = 0] = args.finefilter.split(',').map(Number);
  let filter;
  shown = {
    inHistory: !args.unshown,
    make: ({ stylized, target, output, backward, trust, width, height }) => {
      if (filter?.width !== width || filter.height !== height) filter = new FineBandFilter(width, height, { ...FINE_FILTER, history, maxGain, ownWhereUntrusted: own === 1, energyRadius, gainHistory, freshFromStylized: fresh === 1 });
      return filter.apply(stylized, target, output, backward, trust);
    },
  };
}
/** The blend's luma fine band f shown as f·(1 + extra) at each pixel, through the product's rule (detail-gain.ts) at slope 1, without its bound by the own stylization unless `own` is given. */
async function fineScaler() {
  const { DetailGain } = await import('../dist/temporal/detail-gain.js');
  let detail, ones;
  return (output, extra, own) => {
    const [width, height] = output.size;
    if (detail?.width !== width || detail.height !== height) { detail = new DetailGain(width, height); ones = new Float32Array(width * height).fill(1); }
    return detail.apply({ mix: output.data, own, weight: extra, trust: ones }, 1.5);
  };
}
if (args.finegain) {
  // --finegain G: the blend's own luma fine band (less its 5x5 mean) scaled by one gain G everywhere, for display
  const scale = await fineScaler();
  const gain = Number(args.finegain);
  let extra;
  shown = {
    inHistory: !args.unshown,
    make: ({ output, width, height }) => {
      if (extra?.length !== width * height) extra = new Float32Array(width * height).fill(gain - 1);
      return scale({ data: output, size: [width, height] }, extra);
    },
  };
}
if (args.detailfloor) {
  // --detailfloor D[,CARRY[,MAXGAIN]]: the blend's luma fine band (less its 5x5 mean) scaled, for display, by one gain
  // for the whole frame, raised until its energy is D of the frame's own stylization's (never lowered, at most
  // MAXGAIN), the gain carried from frame to frame by CARRY
  const { fineLuma } = await import('../dist/temporal/research/fine-band.js');
  const { DETAIL_RADIUS } = await import('../dist/temporal/detail-gain.js');
  const scale = await fineScaler();
  const [floor, carry = 0.8, maxGain = 2] = args.detailfloor.split(',').map(Number);
  let fine, own, mean, gain, extra;
  shown = {
    inHistory: !args.unshown,
    make: ({ stylized, output, width, height }) => {
      if (fine?.length !== width * height) { fine = new Float32Array(width * height); own = new Float32Array(width * height); mean = new Float32Array(width * height); extra = new Float32Array(width * height); gain = undefined; }
      fineLuma(output, width, height, DETAIL_RADIUS, fine, mean);
      fineLuma(stylized, width, height, DETAIL_RADIUS, own, mean);
      let energyOut = 0, energyOwn = 0;
      for (let k = 0; k < fine.length; k++) { energyOut += fine[k] * fine[k]; energyOwn += own[k] * own[k]; }
      const wanted = Math.min(Math.max(Math.sqrt((floor * energyOwn) / Math.max(energyOut, 1e-6)), 1), maxGain);
      gain = gain === undefined ? wanted : carry * gain + (1 - carry) * wanted;
      return scale({ data: output, size: [width, height] }, extra.fill(gain - 1));
    },
  };
}
if (args.weightgain) {
  // --weightgain S[,MAX[,RULE[,CAP]]]: the blend's luma fine band scaled per pixel by the energy the mix lost there, as if the
  // textures it averaged were unrelated: a history weight w (trust times weight) and a look-ahead share a keep
  // ((1 − w)²((1 − a)² + a²) + w²) of it, and the gain is that to the power −S/2, at most MAX; RULE 1: 1 + S·w instead
  // (the product's --detail, 1 + S/2), 2: 1 + S·(1 − w); CAP 1: no more fine-band energy than the own stylization's
  const { LOOKAHEAD_WEIGHT } = await import('../dist/temporal/index.js');
  const scale = await fineScaler();
  const [power, maxGain = 2, rule = 0, cap = 0] = args.weightgain.split(',').map(Number);
  let extra;
  shown = {
    inHistory: !args.unshown,
    make: ({ stylized, output, trust, weight, aheadTrust, width, height }) => {
      if (extra?.length !== width * height) extra = new Float32Array(width * height);
      for (let k = 0; k < extra.length; k++) {
        const w = trust && weight ? trust[k] * weight[k] : 0;
        const a = aheadTrust ? LOOKAHEAD_WEIGHT * aheadTrust[k] : 0; // the next frame's share: the look-ahead's first frame only
        const kept = (1 - w) * (1 - w) * ((1 - a) * (1 - a) + a * a) + w * w;
        extra[k] = (rule === 1 ? 1 + power * w : rule === 2 ? 1 + power * (1 - w) : Math.min(Math.pow(kept, -power / 2), maxGain)) - 1;
      }
      return scale({ data: output, size: [width, height] }, extra, cap === 1 ? stylized : undefined);
    },
  };
}
if (args.agreegain) {
  // --agreegain G[,S[,P]]: the product's detail gain at G with the past's weight scaled by (1 − S·max(ρ, 0))^P, or by
  // max(ρ, 0)^P where S < 0, ρ the correlation of the warped history's and the target's luma fine bands (less their
  // 5x5 means) over 7x7 windows: the gain where the textures the blend averaged disagree, or where they agree
  // (docs/temporal-detail.md, Where the stage loses to the plain blend); S 0 is the product's gain frame for frame
  // on a clip without cuts or fades (the product's guard after them is not applied here)
  const [gain, share = 1, power = 1] = args.agreegain.split(',').map(Number);
  const { DetailGain, DETAIL_RADIUS } = await import('../dist/temporal/detail-gain.js');
  const { fineLuma } = await import('../dist/temporal/image.js');
  const { boxSum } = await import('../dist/temporal/kernels/index.js');
  let fh, fx, mean, hh, xx, hx, s1, s2, s3, scaled, detail, warpedRgb;
  fineWeight = ({ target, warped, weight, width, height }) => {
    const n = width * height;
    if (fh?.length !== n) { [fh, fx, mean, hh, xx, hx, s1, s2, s3, scaled] = Array.from({ length: 10 }, () => new Float32Array(n)); warpedRgb = new Uint8Array(3 * n); detail = new DetailGain(width, height); }
    for (let i = 0; i < 3 * n; i++) warpedRgb[i] = Math.min(255, Math.max(0, Math.round(warped[i])));
    fineLuma(warpedRgb, width, height, DETAIL_RADIUS, fh, mean);
    fineLuma(target, width, height, DETAIL_RADIUS, fx, mean);
    for (let k = 0; k < n; k++) { hh[k] = fh[k] * fh[k]; xx[k] = fx[k] * fx[k]; hx[k] = fh[k] * fx[k]; }
    boxSum(hh, width, height, 3, s1); boxSum(xx, width, height, 3, s2); boxSum(hx, width, height, 3, s3);
    for (let k = 0; k < n; k++) {
      const rho = s3[k] / Math.sqrt(s1[k] * s2[k] + 49 * 4); // + 196 under the root: windows with almost no fine band (a spread under about half a level) read ρ near 0
      scaled[k] = weight[k] * (share < 0 ? Math.pow(Math.max(rho, 0), power) : Math.pow(Math.max(0, 1 - share * Math.max(rho, 0)), power)); // S < 0: where they agree instead
    }
    return weight;
  };
  shown = {
    inHistory: false,
    make: ({ stylized, output, trust, weight }) => (trust && weight ? detail.apply({ mix: output, own: stylized, weight: scaled, trust }, gain) : output),
  };
}
if (args.historygain) {
  // --historygain G[,SHARE]: the product's detail gain at G with the band it adds taken SHARE from the blend (1: the
  // product's), the rest from the warped history (src/temporal/research/history-detail.ts); the product's guard after
  // cuts and fades is not applied here
  const [gain, share = 0] = args.historygain.split(',').map(Number);
  const { HistoryDetail } = await import('../dist/temporal/research/history-detail.js');
  let detail;
  fineWeight = ({ warped, weight, width, height }) => {
    if (detail?.width !== width || detail.height !== height) detail = new HistoryDetail(width, height, share);
    detail.keepHistory(warped);
    return weight;
  };
  shown = { inHistory: false, make: ({ stylized, output, trust, weight }) => (trust && weight ? detail.apply(output, stylized, weight, trust, gain) : output) };
}
if (args.motiongain) {
  // --motiongain G,K,LO,HI: the product's detail gain at G with the past's weight scaled by 1 + K·clamp((|v| − LO) / (HI − LO), 0, 1),
  // |v| the backward flow's length in pixels of the frame: more gain where the picture moves (docs/temporal-detail.md,
  // Synthetic handheld cameras: no better than one gain at the same detail); the product's guard after cuts is not applied here
  const [gain, more, lo, hi] = args.motiongain.split(',').map(Number);
  const { DetailGain } = await import('../dist/temporal/detail-gain.js');
  const { resizeFlow } = await import('../dist/temporal/warp.js');
  let detail, scaled;
  shown = {
    inHistory: false,
    make: ({ stylized, output, trust, weight, backward, width, height }) => {
      if (!(trust && weight && backward)) return output;
      if (detail?.width !== width || detail.height !== height) { detail = new DetailGain(width, height); scaled = new Float32Array(width * height); }
      const v = resizeFlow(backward, width, height).data;
      for (let k = 0; k < scaled.length; k++) {
        const s = Math.hypot(v[2 * k], v[2 * k + 1]);
        scaled[k] = weight[k] * (1 + more * Math.min(1, Math.max(0, (s - lo) / (hi - lo))));
      }
      return detail.apply({ mix: output, own: stylized, weight: scaled, trust }, gain);
    },
  };
}
const { createTemporalStageWith } = await import('../dist/temporal/index.js');
// --detail G: the stage's own detail gain (the command line's --detail), beside the research variants
// --ahead K[,SHARE]: the look-ahead mix reaching K frames, each further one mixed into the one before at SHARE
const [aheadFrames, aheadShare] = (args.ahead ?? '').split(',').filter(Boolean).map(Number);
const ahead = aheadFrames === undefined ? undefined : { frames: aheadFrames, share: aheadShare };
// --history-warp KIND: the previous output warped by another kernel than Catmull-Rom (src/temporal/research/history-warps.ts)
let historyWarp;
if (args['history-warp']) {
  const { HISTORY_KERNELS, warpHistory } = await import('../dist/temporal/research/history-warps.js');
  const kind = args['history-warp'];
  if (!HISTORY_KERNELS.includes(kind)) throw new Error(`--history-warp ${kind}: give one of ${HISTORY_KERNELS.join(', ')}`);
  historyWarp = (image, flow, width, height, into) => warpHistory(kind, image, flow, width, height, into);
}
// --history-leak KEEP: the warped history keeps KEEP of its fine band (each channel less its 5x5 mean)
if (args['history-leak']) {
  const { withFineLeak } = await import('../dist/temporal/research/history-warps.js');
  historyWarp = withFineLeak(historyWarp ?? (await import('../dist/temporal/warp.js')).warpRgb, Number(args['history-leak']));
}
// --flows FILE: the stage follows given flows instead of its own, both ways for every pair at the stage's flow size, raw float32
// [pairs, backward and forward, height, width, 2] (research/opencv-flows.py clip; the judge's own: an oracle, no method;
// docs/temporal-detail.md, The stage along the judge's flow)
let analyse;
if (args.flows) {
  const { analyseInput } = await import('../dist/temporal/input-analysis.js');
  const { readFileSync } = await import('node:fs');
  const raw = readFileSync(args.flows);
  const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  let previous, checked = false;
  analyse = (input, i) => {
    const flowAt = (gray, which) => {
      const size = gray.width * gray.height * 2, start = ((i - 1) * 2 + which) * size;
      if (!checked && all.length !== (count - 1) * 2 * size) throw new Error(`--flows ${args.flows} does not hold ${count - 1} pairs of flows both ways at ${gray.width}x${gray.height}, the stage's flow size: make it for this clip with research/opencv-flows.py clip`);
      checked = true;  // every frame of a clip has the first one's size
      return { width: gray.width, height: gray.height, data: all.subarray(start, start + size) };
    };
    const analysis = analyseInput(input, previous, { backward: (current) => flowAt(current, 0), forward: (_, current) => flowAt(current, 1) });
    previous = analysis.gray;
    return analysis;
  };
}
const stage = await createTemporalStageWith({ strength, detail: args.detail === undefined ? undefined : Number(args.detail), analysedAhead: analyse !== undefined }, { fineWeight, shown, ahead, historyWarp });
const count = Math.min(inputs.length, stylized.length);
let micros = 0;
for (let i = 0; i <= count; i++) {
  const before = process.cpuUsage();
  const finished = i < count ? stage.next(inputs[i], stylized[i], analyse?.(inputs[i], i)) : stage.end();
  const used = process.cpuUsage(before);
  micros += used.user + used.system;
  for (const f of finished) encoder.stdin.write(f.output.data);
}
encoder.stdin.end();
await new Promise((resolve) => encoder.on('close', resolve));
console.log(`${stage.name}: ${(micros / 1000 / count).toFixed(1)} ms of CPU a frame, ${count} frames of ${width}x${height}`);
