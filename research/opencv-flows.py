#!/usr/bin/python3
"""Flows by OpenCV's methods, for the temporal stage to follow instead of its own, and their accuracy
on ground truth: whether what the judge reads of a render follows the render or the judge's method.

  opencv-flows.py clip CLIP METHOD OUT.f32   a clip's flows, both ways for every pair, at the stage's
      flow size (the short side halved while 360 or more, as src/temporal/motion.ts does), raw float32
      [pairs, backward and forward, height, width, 2], for `temporal-offline.js --flows`. METHOD:
      judge (the judge's own DeepFlow, computed at the frame's size as it computes it, then resized),
      deepflow, tvl1 (Zach, Pock and Bischof's TV-L1) or dis (DIS, medium preset), computed at the
      stage's size on the frames' grey images, or with --frame-size at the frame's and resized.
  opencv-flows.py epe GT_DIR METHOD [METHOD ...]   mean end-point error on the ground-truth pairs
      (Middlebury, Sintel) at full size and on the stage's route (computed at half size, resized up).

Not a method: no flow here runs in the package (docs/temporal-detail.md, The stage along the judge's flow).

usage: opencv-flows.py clip CLIP METHOD OUT.f32 [--frame-size] --judge DIR | opencv-flows.py epe GT_DIR METHOD [METHOD ...]
"""
import argparse, glob, os, time
import cv2
import numpy as np
from judge import add_judge_argument, import_judge

METHODS = {'deepflow': lambda: cv2.optflow.createOptFlow_DeepFlow(),
           'tvl1': lambda: cv2.optflow.DualTVL1OpticalFlow_create(),
           'dis': lambda: cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)}


def stage_size(width, height):
    """The stage's flow size for a frame (FLOW_SHORT_SIDE 180: halved while the short side is 360 or more)."""
    while min(width, height) >= 360: width, height = width // 2, height // 2
    return width, height


def read_flo(path):
    with open(path, 'rb') as f:
        if np.frombuffer(f.read(4), np.float32)[0] != 202021.25: raise ValueError(f'{path} is not a .flo file')
        w, h = np.frombuffer(f.read(8), np.int32)
        return np.frombuffer(f.read(), np.float32).reshape(h, w, 2)


def clip_flows(parser, args):
    ewarp = import_judge(parser, args.judge)
    frames = ewarp.frames(args.clip, 100000)
    if len(frames) < 2: parser.error(f'{args.clip}: fewer than two frames could be read')
    (w, h), full_width = stage_size(frames[0].shape[1], frames[0].shape[0]), frames[0].shape[1]
    to_stage = lambda flow: cv2.resize(flow, (w, h), interpolation=cv2.INTER_AREA) * (w / full_width)  # a flow at the frame's size, resized
    started = time.time()
    if args.method == 'judge':
        pairs = [[to_stage(f) for f in pair] for pair in zip(*ewarp.judge_flows(args.clip, frames, 'deepflow'))]
    else:
        method, greys = METHODS[args.method](), [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
        if args.frame_size: flow = lambda a, b: to_stage(method.calc(a, b, None))
        else: greys, flow = [cv2.resize(g, (w, h), interpolation=cv2.INTER_AREA) for g in greys], lambda a, b: method.calc(a, b, None)
        pairs = [[flow(greys[t], greys[t - 1]), flow(greys[t - 1], greys[t])] for t in range(1, len(greys))]
    np.asarray(pairs, np.float32).tofile(args.out)
    print(f'{len(pairs)} pairs of {w}x{h} flows ({args.method}) in {args.out}, {(time.time() - started) / (2 * len(pairs)):.3f} s a flow')


def ground_truth_pairs(folder):
    """(name, first frame, second frame, true flow) of each pair: Middlebury frame10 to frame11, Sintel frame_0002 to frame_0003."""
    for d in sorted(glob.glob(os.path.join(folder, '*-*'))):
        if d.split(os.sep)[-1].startswith('middlebury'): a, b, flo = 'frame10.png', 'frame11.png', 'flow10.flo'
        else: a, b, flo = 'frame_0002.png', 'frame_0003.png', 'flow_0002.flo'
        grey = lambda name: cv2.cvtColor(cv2.imread(os.path.join(d, name)), cv2.COLOR_BGR2GRAY)
        yield os.path.basename(d), grey(a), grey(b), read_flo(os.path.join(d, flo))


def end_point_errors(args):
    pairs = list(ground_truth_pairs(args.folder))
    for name in args.methods:
        method, errors = METHODS[name](), {}
        for pair, a, b, truth in pairs:
            known = (np.abs(truth) < 1e9).all(-1)
            h, w = a.shape
            half = method.calc(cv2.resize(a, (w // 2, h // 2), interpolation=cv2.INTER_AREA), cv2.resize(b, (w // 2, h // 2), interpolation=cv2.INTER_AREA), None)
            route = cv2.resize(half, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32([w / (w // 2), h / (h // 2)])
            errors[pair] = [float(np.sqrt(((f - truth) ** 2).sum(-1))[known].mean()) for f in (method.calc(a, b, None), route)]
        for family in ('middlebury', 'sintel'):
            rows = [e for p, e in errors.items() if p.startswith(family)]
            if rows: print(f'{name}: {family}, {len(rows)} pairs: {np.mean([r[0] for r in rows]):.2f} px at full size, {np.mean([r[1] for r in rows]):.2f} on the route')


parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
commands = parser.add_subparsers(dest='command', required=True)
clip = commands.add_parser('clip', help="a clip's flows at the stage's size")
clip.add_argument('clip'); clip.add_argument('method', choices=['judge', *METHODS]); clip.add_argument('out')
clip.add_argument('--frame-size', action='store_true', help="compute the flow at the frame's size, then resize it to the stage's")
add_judge_argument(clip)
epe = commands.add_parser('epe', help='mean end-point error on ground truth')
epe.add_argument('folder'); epe.add_argument('methods', nargs='+', choices=list(METHODS))
args = parser.parse_args()
clip_flows(clip, args) if args.command == 'clip' else end_point_errors(args)
