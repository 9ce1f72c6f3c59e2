#!/usr/bin/env python3
"""The flicker the judge (ewarp.py) reads in a render that changes only as its input does: an estimate.

usage: /usr/bin/python3 research/stable-floor.py INPUT PERFRAME [--check] [--judge DIR]

A stylization that is perfectly consistent in time (its strokes glued to the surfaces, redrawn
only where the picture itself changes) would still be read by the judge as changing where its
flow and bilinear warp do not explain the input: water and leaves that change, motion blur,
grain, sub-pixel resampling. Band by band (the grey image split as research/band-flicker.py
splits it: fine, less the blur at sigma 1.5; mid, 1.5 to 4; low, above 4), the judge's warping
error over the band's energy, NE = mean((x_t - warp(x_{t-1}))^2 over the judge's mask) / mean(x_t^2),
is measured for the input and for the per-frame render (pairs across a cut left out). Taking a
consistent render's NE in each band to be the input's, its E_warp, as a share of the per-frame
render's, is sum_b E_pf,b * min(NE_in,b / NE_pf,b, 1) / sum_b E_pf,b, at the per-frame render's energy in
every band (detail 1.0), and with the fine band's energy at 0.85 (the bar's detail). An estimate:
it takes a consistent stylization to change as much, relative to its energy, as its input does
in each band (grain included, which a network may not follow) (docs/temporal-detail.md, What the
judge reads in a stable render).
"""
import argparse
import json
import cv2
import numpy as np
from judge import bands, grey, judged_run

p = argparse.ArgumentParser()
p.add_argument('input'); p.add_argument('perframe')
p.add_argument('--check', action='store_true', help="also the normalised error of OpenCV's stylization filter of the input: a painterly look computed from each frame's neighbourhood alone, so consistent by construction")
a, ewarp, (inp, ref, backward, forward, cuts) = judged_run(p)
n = len(ref)


def warping_error(frames):
    """Per band: the judge's warping error and the band's energy, both summed over the judged pairs."""
    error, energy = np.zeros(3), np.zeros(3)
    for t in range(1, n):
        if t in cuts: continue
        m = ewarp.consistency_mask(backward[t - 1], forward[t - 1])
        now, before = bands(frames[t]), bands(ewarp.warp(frames[t - 1], backward[t - 1]))
        for k, (x, y) in enumerate(zip(now, before)):
            error[k] += ((x - y) ** 2 * m).sum() / m.sum()
            # the low band's energy about its mean: a flat picture's mean is no texture to flicker
            energy[k] += np.mean((x - x.mean()) ** 2)
    return error, energy


in_error, in_energy = warping_error([grey(f) for f in inp])
pf_error, pf_energy = warping_error([grey(f) for f in ref])
ne_in, ne_pf = in_error / in_energy, pf_error / pf_energy
check = {}
if a.check:
    # cv2.stylization: an edge-preserving smoothing and a tone step (Gastal and Oliveira's domain
    # transform), the same at every place of the picture: it changes only as its input does
    filtered_error, filtered_energy = warping_error([grey(cv2.stylization(f, sigma_s=30, sigma_r=0.3)) for f in inp])
    ne_filter = filtered_error / filtered_energy
    by_filter = pf_error * np.minimum(ne_filter / ne_pf, 1)
    check = {'normalised_error_consistent_filter': [round(float(x), 4) for x in ne_filter],
             'consistent_render_share_by_filter': round(float(by_filter.sum() / pf_error.sum()), 3),
             'consistent_render_share_by_filter_detail_085': round(float((by_filter * [0.85, 1, 1]).sum() / pf_error.sum()), 3)}
# never more than the per-frame render's own, band by band: where the input changes more than the
# render does (a brightness change the network's normalisation evens out), it need not follow
consistent = pf_error * np.minimum(ne_in / ne_pf, 1)
at_085 = consistent * np.array([0.85, 1, 1])
print(json.dumps({
    'pairs': n - 1 - len([t for t in cuts if 0 < t < n]),
    'per_frame_share_by_band': [round(float(x), 3) for x in pf_error / pf_error.sum()],
    'normalised_error_input': [round(float(x), 4) for x in ne_in],
    'normalised_error_per_frame': [round(float(x), 4) for x in ne_pf],
    'consistent_render_share': round(float(consistent.sum() / pf_error.sum()), 3),
    'consistent_render_share_detail_085': round(float(at_085.sum() / pf_error.sum()), 3),
    **check,
}))
