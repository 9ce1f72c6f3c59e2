#!/usr/bin/env python3
"""How well the temporal stage's flow carries fine detail, beside the judge's own flow (ewarp.py).

usage: /usr/bin/python3 research/flow-carry.py INPUT PERFRAME FLOWS [--judge DIR]

FLOWS is the stage's backward flows at the frame's size (research/stage-flows.js). For each pair
of frames (pairs across a cut the judge finds left out), frame t-1 of the input and of the
per-frame render is carried onto frame t by the judge's warp along each flow in turn, and the
correlation of its fine band (the grey image less its blur at sigma 1.5, the judge's detail band)
with frame t's is taken over the judge's consistency mask; also the mean end-point distance
between the two flows there. Where the stage's flow carries the fine band as well as the judge's,
a finer flow would not place the carried strokes better as the judge sees them
(docs/temporal-detail.md, What the judge reads in a stable render).
"""
import argparse
import json
import numpy as np
from judge import bands, grey, judged_run

p = argparse.ArgumentParser()
p.add_argument('input'); p.add_argument('perframe'); p.add_argument('flows')
a, ewarp, (inp, ref, backward, forward, cuts) = judged_run(p)
height, width = inp[0].shape[:2]
stage = np.fromfile(a.flows, dtype=np.float32).reshape(-1, height, width, 2)


def fine(frame):
    return bands(grey(frame))[0].astype(np.float64)


def correlation(x, y, mask):
    x, y = x * mask, y * mask
    return (x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum())


figures = {key: [] for key in ('input_judge', 'input_stage', 'perframe_judge', 'perframe_stage', 'end_point_distance')}
for t in range(1, min(len(inp), len(stage) + 1)):
    if t in cuts: continue
    mask = ewarp.consistency_mask(backward[t - 1], forward[t - 1])
    if mask.mean() < 0.4: continue
    for name, flow in (('judge', backward[t - 1]), ('stage', stage[t - 1])):
        figures['input_' + name].append(correlation(fine(ewarp.warp(inp[t - 1], flow)), fine(inp[t]), mask))
        figures['perframe_' + name].append(correlation(fine(ewarp.warp(ref[t - 1], flow)), fine(ref[t]), mask))
    figures['end_point_distance'].append(float(np.sqrt(((stage[t - 1] - backward[t - 1]) ** 2).sum(-1))[mask > 0].mean()))
print(json.dumps({'pairs': len(figures['end_point_distance']), **{key: round(float(np.mean(v)), 3) for key, v in figures.items()}}))
