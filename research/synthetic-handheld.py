#!/usr/bin/env python3
"""A handheld camera made from a steady clip, to judge the temporal stage on camera motion beyond
the one moving-camera clip of the footage (docs/temporal-detail.md, Synthetic handheld cameras).

A 640x360 window moves over each frame of the larger source along a seeded path: a slow pan, a
random walk of shake (each axis an AR(1) velocity), a small roll and a zoom drift, resampled to a
fraction of a pixel (Lanczos), as a handheld or gimbal camera moves. No parallax: the scene is flat
to this camera, so its flow is the one the judge's DeepFlow should find best.

usage: /usr/bin/python3 research/synthetic-handheld.py IN.mp4 OUT.mp4 [--seed 1] [--pan 2.0]
           [--shake 1.5] [--roll 0.3] [--zoom 0.04] [--frames 48]
  --pan: pixels a frame of steady pan across (up to the room the source leaves)
  --shake: the shake's velocity, pixels a frame (standard deviation)
  --roll: degrees of roll at most; --zoom: the zoom's drift at most (0.04: 4%)
Written lossless (libx264 CRF 0), 30 fps.
"""
import argparse, subprocess
import cv2
import numpy as np

p = argparse.ArgumentParser()
p.add_argument('input'); p.add_argument('output')
p.add_argument('--seed', type=int, default=1)
p.add_argument('--pan', type=float, default=2.0)
p.add_argument('--shake', type=float, default=1.5)
p.add_argument('--roll', type=float, default=0.3)
p.add_argument('--zoom', type=float, default=0.04)
p.add_argument('--frames', type=int, default=48)
a = p.parse_args()
W, H = 640, 360

cap = cv2.VideoCapture(a.input)
frames = []
while len(frames) < a.frames:
    ok, f = cap.read()
    if not ok: break
    frames.append(f)
sh, sw = frames[0].shape[:2]
# the source scaled, where it is small, so that the window leaves room to move (an eighth of it)
scale = max(W * 1.25 / sw, H * 1.25 / sh, 1.0)
rng = np.random.default_rng(a.seed)
n = len(frames)
# the shake: AR(1) velocities (a hand's tremor is smooth from frame to frame), summed
vel = np.zeros((n, 2)); v = np.zeros(2)
for t in range(n):
    v = 0.8 * v + np.sqrt(1 - 0.8 ** 2) * a.shake * rng.standard_normal(2)
    vel[t] = v
shake = np.cumsum(vel, axis=0)
shake -= shake.mean(axis=0)
pan = np.stack([a.pan * (np.arange(n) - n / 2), np.zeros(n)], axis=1)
roll = a.roll * np.sin(np.linspace(0, np.pi * rng.uniform(1, 2), n) + rng.uniform(0, np.pi))
zoom = 1 + a.zoom * (0.5 + 0.5 * np.sin(np.linspace(0, np.pi, n) + rng.uniform(0, np.pi)))

enc = subprocess.Popen(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{W}x{H}', '-r', '30',
                        '-i', '-', '-c:v', 'libx264', '-crf', '0', '-pix_fmt', 'yuv420p', a.output], stdin=subprocess.PIPE)
for t, f in enumerate(frames):
    big = cv2.resize(f, (round(sw * scale), round(sh * scale)), interpolation=cv2.INTER_LANCZOS4) if scale > 1 else f
    bh, bw = big.shape[:2]
    # the window's centre, kept inside the source with its zoom and roll
    room = np.array([(bw - W * zoom[t]) / 2, (bh - H * zoom[t]) / 2]) - 4
    c = np.array([bw / 2, bh / 2]) + np.clip(pan[t] + shake[t], -room, room)
    # a source point x maps to the window at R·(x − c)·zoom + (W/2, H/2)
    m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), float(roll[t]), float(zoom[t]))
    m[:, 2] += np.array([W / 2, H / 2]) - c
    out = cv2.warpAffine(big, m, (W, H), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT)
    enc.stdin.write(out.tobytes())
enc.stdin.close(); enc.wait()
