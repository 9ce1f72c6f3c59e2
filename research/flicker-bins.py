#!/usr/bin/python3
"""Where a render's flicker is, against other renders of the same clip: the judge's E_warp summed
pixel by pixel (its DeepFlow, its occlusion mask, its cut pairs left out, each pair weighed as in
the judge's mean) over bins of the judge's flow length and of the per-frame render's own local
flicker (its E_warp a pixel, blurred at sigma 3, by quantile within each frame); for each bin, the
share of the first render's E_warp there and its E_warp over each other render's there.

usage: flicker-bins.py INPUT PERFRAME RENDER [OTHER ...] --judge DIR
(PERFRAME: the per-frame render at the default CRF, the judge's reference; RENDER first, then
what it is compared with, e.g. the plain blend at a 0.7 and `--detail 1`.)
"""
import argparse, os
import numpy as np, cv2
from judge import judged_run

parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
parser.add_argument('input'); parser.add_argument('perframe'); parser.add_argument('renders', nargs='+')
args, ewarp, (inp, ref, backward, forward, cuts) = judged_run(parser)
n = len(ref)
videos = [ewarp.frames(r, n) for r in args.renders]
if any(len(v) < n for v in videos): parser.error('every render needs as many frames as the per-frame render')
FLOW_EDGES = [0, 0.25, 0.5, 1, 2, 4, np.inf]
QUANTILES = [0, 25, 50, 75, 90, 100]
sums = {}  # (ruler, bin) -> [pixels, E of each render]


def add(ruler, labels, errors, mask):
    for b in np.unique(labels[mask > 0]):
        sel = (labels == b) & (mask > 0)
        acc = sums.setdefault((ruler, int(b)), [0] + [0.0] * len(errors))
        acc[0] += int(sel.sum())
        for i, e in enumerate(errors): acc[i + 1] += float(e[sel].sum())


def pixel_error(frames, t, fb, mask):
    """Each pixel's part of the pair's E_warp (the judge's masked mean: the pair weighs as in its mean over pairs)."""
    warped = ewarp.warp(frames[t - 1], fb).astype(np.float64) / 255
    return ((frames[t].astype(np.float64) / 255 - warped) ** 2).mean(-1) * mask / (mask.sum() + 1e-9)


for t in range(1, n):
    fb, ff = backward[t - 1], forward[t - 1]
    mask = ewarp.consistency_mask(fb, ff)
    if t in cuts or mask.mean() < 0.4: continue
    errors = [pixel_error(v, t, fb, mask) for v in videos]
    own = cv2.GaussianBlur(pixel_error(ref, t, fb, mask), (0, 0), 3)
    add('per-frame flicker', np.searchsorted(np.percentile(own[mask > 0], QUANTILES[1:-1]), own), errors, mask)
    add('flow length', np.searchsorted(FLOW_EDGES[1:-1], np.sqrt((fb ** 2).sum(-1)), side='right'), errors, mask)

names = [os.path.basename(r) for r in args.renders]
total = sum(v[1] for k, v in sums.items() if k[0] == 'flow length')
everywhere = sum(v[0] for k, v in sums.items() if k[0] == 'flow length')
print(f'{names[0]}: share of its E_warp in each bin, and its E_warp there over ' + ', '.join(names[1:]))
for (ruler, b), acc in sorted(sums.items()):
    label = f'{QUANTILES[b]}-{QUANTILES[b + 1]}%' if ruler == 'per-frame flicker' else f'{FLOW_EDGES[b]}-{FLOW_EDGES[b + 1]} px'
    print(f'{ruler:18s} {label:11s} pixels {acc[0] / everywhere:.3f}  share {acc[1] / total:.3f}  ' + '  '.join(f'{acc[1] / max(acc[i + 1], 1e-12):.2f}' for i in range(1, len(names))))
