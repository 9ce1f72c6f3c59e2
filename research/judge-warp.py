#!/usr/bin/python3
"""The judge's figures for each VIDEO with its warp of the previous frame by another kernel: the
judge itself run (its main), with only its warp's interpolation changed from bilinear to cubic and
Lanczos; its consistency check warps the flow through the same function, so the occlusion mask
follows the kernel too, on a few pixels. Bilinear sampling between pixels softens what it warps,
so a crisp render that follows its input exactly still reads as flicker; a sharper kernel reads
less of that (docs/temporal-detail.md, The judge's warp).

usage: judge-warp.py INPUT VIDEO [VIDEO ...] [--ref PERFRAME] --judge DIR
"""
import argparse, contextlib, io, json, sys
import cv2
import numpy as np
from judge import add_judge_argument, import_judge

KERNELS = {'linear': cv2.INTER_LINEAR, 'cubic': cv2.INTER_CUBIC, 'lanczos': cv2.INTER_LANCZOS4}

parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
parser.add_argument('input'); parser.add_argument('videos', nargs='+'); parser.add_argument('--ref')
add_judge_argument(parser)
args = parser.parse_args()
ewarp = import_judge(parser, args.judge)


def warp_by(kernel):
    """The judge's warp (ewarp.warp) with another interpolation."""
    def warp(img, flow):
        h, w = flow.shape[:2]
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        return cv2.remap(img, gx + flow[..., 0], gy + flow[..., 1], kernel, borderMode=cv2.BORDER_REPLICATE)
    return warp


def judged(video, kernel):
    ewarp.warp = warp_by(KERNELS[kernel])
    sys.argv = ['ewarp.py', args.input, video, '--json'] + (['--ref', args.ref] if args.ref else [])
    out = io.StringIO()
    with contextlib.redirect_stdout(out): ewarp.main()
    return json.loads(out.getvalue().strip().splitlines()[-1])


for video in args.videos:
    figures = {k: judged(video, k) for k in KERNELS}
    print(json.dumps({'video': video, **{f'ewarp_{k}': j['ewarp'] for k, j in figures.items()}, **{f'ewarp_input_{k}': j['ewarp_input'] for k, j in figures.items()}}))
