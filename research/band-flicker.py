#!/usr/bin/env python3
"""Where a render's flicker and detail are, band by band, under the independent judge (ewarp.py).

usage: /usr/bin/python3 research/band-flicker.py INPUT PERFRAME [OUTPUT ...] [--judge DIR]

DIR holds the judge, ewarp.py (default: $STYLIZE_VIDEO_TOOLS; one of the two is needed).

Each frame's grey image is split by Gaussian blurs into a fine band (less its blur at sigma 1.5,
the judge's detail_vs_ref band), a mid band (sigma 1.5 to 4) and a low band (above 4). Prints, for
PERFRAME (the --no-temporal render), each band's correlation between frame t and frame t-1 warped
by the judge's flow (how much of it is carried with the surface, not redrawn); and for PERFRAME
and each OUTPUT, the judge's E_warp computed band by band as a share of PERFRAME's whole E_warp
(pairs across a cut the judge's colour test finds left out), and the fine and mid energy over
PERFRAME's (docs/temporal-detail.md, Where the flicker and the detail are).
"""
import argparse
import numpy as np
from judge import bands, grey, judged_run

p = argparse.ArgumentParser()
p.add_argument('input'); p.add_argument('perframe'); p.add_argument('outputs', nargs='*')
a, ewarp, (inp, ref, backward, forward, cuts) = judged_run(p)
n = len(ref)
masks = [ewarp.consistency_mask(backward[t - 1], forward[t - 1]) for t in range(1, n)]
NAMES = ('fine', 'mid', 'low')


def split(frames):
    """(E_warp per band, summed over pairs; energy of the fine and mid band, summed over frames)."""
    flicker, energy = np.zeros(3), np.zeros(2)
    for t in range(1, n):
        now = bands(frames[t])
        energy += [np.mean(now[0] ** 2), np.mean(now[1] ** 2)]
        if t in cuts: continue
        m = masks[t - 1]
        before = bands(ewarp.warp(frames[t - 1], backward[t - 1]))
        flicker += [((x - y) ** 2 * m).sum() / m.sum() for x, y in zip(now, before)]
    return flicker, energy


ref_grey = [grey(f) for f in ref]
correlation = np.zeros(3)
for t in range(1, n):
    m = masks[t - 1] > 0
    for k, (x, y) in enumerate(zip(bands(ref_grey[t]), bands(ewarp.warp(ref_grey[t - 1], backward[t - 1])))):
        x, y = x[m] - x[m].mean(), y[m] - y[m].mean()
        correlation[k] += (x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum()) / (n - 1)
print('per-frame, frame-to-frame correlation ' + ' / '.join(f'{name} {c:.2f}' for name, c in zip(NAMES, correlation)))
base, base_energy = split(ref_grey)
for path, (flicker, energy) in [(a.perframe, (base, base_energy))] + [(o, split([grey(f) for f in ewarp.frames(o, n, size)])) for o in a.outputs]:
    print(f'{path}: E_warp ' + ' / '.join(f'{name} {100 * x / base.sum():.1f}%' for name, x in zip(NAMES, flicker))
          + f', total {100 * flicker.sum() / base.sum():.1f}%; energy fine {energy[0] / base_energy[0]:.2f}, mid {energy[1] / base_energy[1]:.2f}')
