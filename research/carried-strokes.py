#!/usr/bin/env python3
"""How alike the per-frame render is to its own strokes carried one frame, under the judge (ewarp.py).

usage: /usr/bin/python3 research/carried-strokes.py INPUT PERFRAME [--judge DIR]

For each pair of frames (pairs across a cut the judge finds left out), the per-frame render's frame
t-1 warped onto frame t by the judge's own flow and warp ("carried": its strokes held still on the
surface, as a perfectly stable render would hold them) is compared with the per-frame frame t by
the judge's SSIM and fine-detail energy; also the fine band's correlation between the two. A render
whose every frame were its last frame's strokes carried would have an E_warp near 0 and this SSIM
to the per-frame render: the SSIM a stable render can reach by carrying strokes rather than
averaging them (docs/temporal-detail.md, What the per-frame reference allows).
"""
import argparse
import json
import cv2
import numpy as np
from judge import judged_run

p = argparse.ArgumentParser()
p.add_argument('input'); p.add_argument('perframe')
a, ewarp, (inp, ref, backward, forward, cuts) = judged_run(p)
n = len(ref)


def fine(frame):
    g = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float64)
    return g - cv2.GaussianBlur(g, (0, 0), 1.5)


ssims, details, correlations = [], [], []
for t in range(1, n):
    if t in cuts: continue
    mask = ewarp.consistency_mask(backward[t - 1], forward[t - 1])
    if mask.mean() < 0.4: continue
    carried = ewarp.warp(ref[t - 1], backward[t - 1])
    ssims.append(ewarp.ssim(carried, ref[t]))
    details.append(ewarp.detail_energy(carried) / max(ewarp.detail_energy(ref[t]), 1e-9))
    fc, fr = fine(carried) * mask, fine(ref[t]) * mask
    correlations.append((fc * fr).sum() / np.sqrt((fc ** 2).sum() * (fr ** 2).sum()))
print(json.dumps({'pairs': len(ssims), 'carried_ssim': round(float(np.mean(ssims)), 4), 'carried_detail': round(float(np.mean(details)), 3), 'fine_correlation': round(float(np.mean(correlations)), 3)}))
