#!/usr/bin/env python3
"""How much the network redraws its strokes when the picture moves by a pixel.

usage: /usr/bin/python3 research/shift-variance.py CLIP [--frames 10,30] [--style wave] [--judge DIR]

For each chosen frame of CLIP, the frame is stylized whole and with its first dx columns and dy rows
cut off (the same picture moved by (dx, dy) against the network's grid), by the command line
(bin/stylize-video.js, STYLIZE_VIDEO_MODELS as set); the two renders are compared over the part they
share, less a 16-pixel border, by the judge's SSIM and the correlation of their fine bands (grey
less its Gaussian blur at sigma 1.5, the judge's detail band). Both renders are equally valid
stylizations of the same picture, equally crisp: what differs is where the network's strided
layers fall on it (docs/temporal-detail.md, What the per-frame reference allows).
"""
import argparse, json, os, subprocess, sys, tempfile
import cv2
import numpy as np
from judge import add_judge_argument, import_judge

p = argparse.ArgumentParser()
p.add_argument('clip')
p.add_argument('--frames', default='10,30')
p.add_argument('--style', default='wave')
p.add_argument('--shifts', default='1,0 2,0 0,1 1,1 4,0 8,0')
add_judge_argument(p)
a = p.parse_args()
ewarp = import_judge(p, a.judge)
cli = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bin', 'stylize-video.js')
work = tempfile.mkdtemp(prefix='shift-variance-')


def stylize(image, name):
    path = os.path.join(work, f'{name}.png')
    cv2.imwrite(path, image)
    subprocess.run(['node', cli, path, '--style', a.style, '-o', path + '.out.png', '-y'], check=True, capture_output=True)
    return cv2.imread(path + '.out.png')


def fine(image):
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)
    return g - cv2.GaussianBlur(g, (0, 0), 1.5)


wanted = [int(k) for k in a.frames.split(',')]
cap = cv2.VideoCapture(a.clip)
pictures = {}
for k in range(max(wanted) + 1):
    ok, f = cap.read()
    if not ok: sys.exit(f'{a.clip} has no frame {k}')
    if k in wanted: pictures[k] = f
rows = {}
for k, f in pictures.items():
    whole = stylize(f, f'{k}')
    for shift in a.shifts.split():
        dx, dy = (int(v) for v in shift.split(','))
        moved = stylize(f[dy:, dx:], f'{k}-{dx}-{dy}')
        o, r = moved[16:-16, 16:-16], whole[dy:, dx:][16:-16, 16:-16]
        fo, fr = fine(o), fine(r)
        rows.setdefault(shift, []).append((ewarp.ssim(o, r), (fo * fr).sum() / np.sqrt((fo ** 2).sum() * (fr ** 2).sum())))
print(json.dumps({shift: {'ssim': round(float(np.mean([s for s, _ in v])), 3), 'fine_correlation': round(float(np.mean([c for _, c in v])), 3)} for shift, v in rows.items()}))
