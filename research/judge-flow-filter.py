#!/usr/bin/python3
"""The per-frame render filtered over time along a flow (the judge's own, or DIS): how far a temporal
filter of the render's own frames can go against the plain blend at the same SSIM.

Not a method: along the judge's DeepFlow a filter is judged by its own flow and reads stabler than
any render could (an upper bound); along DIS (--flow dis), a flow that is not the judge's, it is
what a filter of that kind reaches. The filters, each along the flow and its forward-backward
occlusion mask, with the judge's cut pairs left unblended:
  causal    out_t = m·a·warp(out_{t-1}) + (1 - m·a)·x_t (the plain blend's recursion, along the flow)
  two-sided the mean of that and the same recursion run backwards from the clip's end
            (a symmetric kernel a^|k|, no lag: the best a filter of past and future can do here)
  ahead-K   the same with the backward recursion started K frames ahead (a look-ahead of K frames)
--detail T,... also writes each filtered render with its fine band (each channel less its Gaussian
blur at sigma 1.5, the judge's detail band) scaled by one gain a frame, so that the frame's fine
energy is T times the per-frame frame's: the filter's detail restored with no gain of its own to
flicker (the best case of a detail gain). Writes OUTPUT-<kind>-<a>.mp4 (and OUTPUT-<kind>-<a>-d<T>.mp4)
at CRF 18 for ewarp.py to judge against the per-frame render.

usage: judge-flow-filter.py INPUT PERFRAME_LOSSLESS OUTPUT_PREFIX --alpha 0.5,0.7 [--kind causal,two-sided,ahead-K] [--flow deepflow|dis] [--detail 0.85,1] --judge DIR
"""
import argparse, subprocess
import cv2
import numpy as np
from judge import judged_run


def filtered(frames, flows, masks, cuts, alpha):
    """The recursion out_t = m·a·warp(out_{t-1}) + (1 - m·a)·x_t over `frames` in order; flows[t]
    and masks[t] carry frame t-1 onto frame t; pairs in `cuts` restart."""
    out = [frames[0].astype(np.float32)]
    for t in range(1, len(frames)):
        if t in cuts: out.append(frames[t].astype(np.float32)); continue
        k = (masks[t] * alpha)[..., None].astype(np.float32)
        out.append(k * ewarp.warp(out[-1], flows[t]) + (1 - k) * frames[t])
    return out


parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
parser.add_argument('input'); parser.add_argument('perframe'); parser.add_argument('prefix')
parser.add_argument('--alpha', default='0.5,0.7,0.85')
parser.add_argument('--kind', default='causal,two-sided')
parser.add_argument('--detail', default='', help="also write each render with its fine band scaled, one gain a frame, to T times the per-frame frame's fine energy (T,...)")
parser.add_argument('--flow', default='deepflow', help="the filter's flow: the judge's (deepflow) or OpenCV's DIS (dis), a flow not the judge's")
args, ewarp, (inp, ref, backward, forward, cuts) = judged_run(parser)
if args.flow != 'deepflow': backward, forward = ewarp.judge_flows(args.input, inp, args.flow)
n = len(ref)
h, w = ref[0].shape[:2]
fps = subprocess.check_output(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate', '-of', 'csv=p=0', args.perframe]).decode().strip()
# from the past: frame t-1 carried onto t by the backward flow of pair t; from the future (indexed
# in reversed time): frame t+1 carried onto t by the forward flow of pair t+1
from_past = [None] + [backward[t - 1] for t in range(1, n)]
from_past_mask = [None] + [ewarp.consistency_mask(backward[t - 1], forward[t - 1]) for t in range(1, n)]
from_future = [None] + [forward[n - 1 - t] for t in range(1, n)]
from_future_mask = [None] + [ewarp.consistency_mask(forward[n - 1 - t], backward[n - 1 - t]) for t in range(1, n)]
from_future_cuts = {t for t in range(1, n) if n - t in cuts}


def ahead_of(t, frames, alpha):
    """Frame t by the backward recursion started `frames` frames ahead (or at the clip's end)."""
    start = min(n - 1, t + frames)
    b = ref[start].astype(np.float32)
    for u in range(start - 1, t - 1, -1):
        if u + 1 in cuts: b = ref[u].astype(np.float32); continue
        k = (from_future_mask[n - 1 - u] * alpha)[..., None].astype(np.float32)
        b = k * ewarp.warp(b, from_future[n - 1 - u]) + (1 - k) * ref[u]
    return b


def with_detail(frame, energy, target):
    """`frame` with each channel's fine band scaled by one gain, to `target` times `energy`, the per-frame frame's fine energy (grey is linear in the channels, so is the blur)."""
    blur = cv2.GaussianBlur(frame, (0, 0), 1.5)
    gain = np.sqrt(target * energy / max(ewarp.detail_energy(frame.astype(np.float32)), 1e-9))  # the judge's own measure, on unrounded grey
    return blur + gain * (frame - blur)


def write(frames, path):
    enc = subprocess.Popen(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{w}x{h}', '-r', fps,
                            '-i', '-', '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', path], stdin=subprocess.PIPE)
    for o in frames: enc.stdin.write(np.clip(np.round(o), 0, 255).astype(np.uint8).tobytes())
    enc.stdin.close(); enc.wait()
    print(path)


ref_energy = [ewarp.detail_energy(r.astype(np.float32)) for r in ref] if args.detail else []  # once a frame, for every filter and T
for kind in args.kind.split(','):
    for alpha in (float(a) for a in args.alpha.split(',')):
        out = filtered(ref, from_past, from_past_mask, cuts, alpha)
        if kind == 'two-sided':
            back = filtered(ref[::-1], from_future, from_future_mask, from_future_cuts, alpha)[::-1]
            out = [(f + b) / 2 for f, b in zip(out, back)]
        elif kind.startswith('ahead-'):
            out = [(f + ahead_of(t, int(kind[6:]), alpha)) / 2 for t, f in enumerate(out)]
        write(out, f'{args.prefix}-{kind}-{alpha}.mp4')
        for target in (float(d) for d in args.detail.split(',') if d):
            write([with_detail(o, e, target) for o, e in zip(out, ref_energy)], f'{args.prefix}-{kind}-{alpha}-d{target}.mp4')
