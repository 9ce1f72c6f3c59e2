#!/usr/bin/env python3
"""Which frame pairs make up an E_warp, under the independent judge (ewarp.py).

usage: /usr/bin/python3 research/ewarp-pairs.py INPUT OUTPUT PERFRAME [--judge DIR] [--top 3] [--leave-out FIRST-LAST]

DIR holds the judge, ewarp.py (default: $STYLIZE_VIDEO_TOOLS; one of the two is needed).

Runs the judge's own flows, occlusion check and error (imported from ewarp.py, not rewritten) pair
by pair, for OUTPUT and for PERFRAME (the --no-temporal render), and prints E_warp(OUTPUT) /
E_warp(PERFRAME), the pairs with the largest error, and for the largest: its share of OUTPUT's
E_warp and the ratio OUTPUT would read if every other pair were perfectly stable. That last figure
is a floor for any method that leaves this pair as it is (a hard cut the judge does not catch: the
first frame after a cut must stay its own stylization). Last, the E_warp ratio over the pairs where
the judge explains the input itself (the input's own error along the judge's flow at most 10x its
median) and over the rest, where the input changes in ways the judge's flow does not follow (fast,
blurred motion; light changing): there any output that follows the input reads as unstable.
With --leave-out, also the E_warp over the pairs left when the pairs into frames FIRST..LAST, and
those the judge takes as cuts by colour, are left out (the frames after a cut, say).
"""
import argparse
import numpy as np
from judge import add_judge_argument, import_judge

p = argparse.ArgumentParser()
p.add_argument('input'); p.add_argument('output'); p.add_argument('perframe')
add_judge_argument(p)
p.add_argument('--top', type=int, default=3)
p.add_argument('--leave-out')
a = p.parse_args()
ewarp = import_judge(p, a.judge)

out = ewarp.frames(a.output, 100000)
size = (out[0].shape[1], out[0].shape[0])
inp = ewarp.frames(a.input, len(out), size)
ref = ewarp.frames(a.perframe, len(out), size)
n = min(len(inp), len(out), len(ref))
inp = inp[:n]
backward, forward = ewarp.judge_flows(a.input, inp, 'deepflow')


def occlusion_masks():
    """{t: the judge's forward-backward mask of the pair (t-1, t)}, as in ewarp.py's loop (which exports no
    function for it); the pairs it takes as cuts left out. The same for every video judged."""
    masks = {}
    for t in range(1, n):
        fb, ff = backward[t - 1], forward[t - 1]
        back = ewarp.warp(ff, fb)
        d = fb + back
        mask = ((d ** 2).sum(-1) <= 0.01 * ((fb ** 2).sum(-1) + (back ** 2).sum(-1)) + 0.5).astype(np.float64)
        if mask.mean() >= 0.4:
            masks[t] = mask
    return masks


masks = occlusion_masks()


def pair_errors(video):
    """{t: error of the pair (t-1, t)} as ewarp.py computes it."""
    errors = {}
    for t, mask in masks.items():
        warped = ewarp.warp(video[t - 1], backward[t - 1]).astype(np.float64) / 255
        errors[t] = float((mask[..., None] * (video[t].astype(np.float64) / 255 - warped) ** 2).sum() / (3 * mask.sum() + 1e-9))
    return errors


mine, own, source = pair_errors(out), pair_errors(ref), pair_errors(inp)
e_mine, e_own = np.mean(list(mine.values())), np.mean(list(own.values()))
print(f'E_warp {100 * e_mine / e_own:.1f}% of per-frame over {len(mine)} pairs')
worst = sorted(mine, key=lambda t: -mine[t])[:a.top]
for t in worst:
    print(f'  pair {t - 1}-{t}: {mine[t]:.5f} (per-frame {own[t]:.5f}, {100 * mine[t] / own[t]:.0f}% of it)')
t = worst[0]
print(f'pair {t - 1}-{t} is {100 * mine[t] / len(mine) / e_mine:.1f}% of the E_warp; with every other pair at 0 the clip would read {100 * mine[t] / len(mine) / e_own:.1f}% of per-frame')
median = np.median(list(source.values()))
unexplained = [t for t in mine if source[t] > 10 * median]
explained = [t for t in mine if source[t] <= 10 * median]
ratio = lambda pairs: 100 * sum(mine[t] for t in pairs) / max(sum(own[t] for t in pairs), 1e-12)
print(f'{len(unexplained)} pair(s) where the input\'s own error is over 10x its median hold {100 * sum(mine[t] for t in unexplained) / sum(mine.values()):.0f}% of the E_warp; '
      f'over the other {len(explained)} pairs it reads {ratio(explained):.1f}% of per-frame' + (f', over those {ratio(unexplained):.1f}%' if unexplained else ''))
if a.leave_out:
    first, last = (int(v) for v in a.leave_out.split('-'))
    colour_cuts = ewarp.cut_pairs(inp)
    kept = [t for t in mine if not first <= t <= last and t not in colour_cuts]
    print(f'over the {len(kept)} pairs left out of frames {first}-{last} and the colour cuts: {ratio(kept):.1f}% of per-frame')
