#!/usr/bin/env python3
"""An 8-frame cross-fade between two clips, lossless, for the stage's fade test (docs/temporal-method.md, Soft fades).

usage: /usr/bin/python3 research/make-fade.py A.mp4 B.mp4 OUT.mp4 [--ffmpeg PATH]

49 frames at 30 fps: A's frames 0-19, then frames 20-27 mixed linearly in nine steps
((i - 19) / 9 of B's frame i - 20), then B's frames 8-28.
"""
import argparse, subprocess
import cv2
import numpy as np

p = argparse.ArgumentParser()
p.add_argument('a'); p.add_argument('b'); p.add_argument('out')
p.add_argument('--ffmpeg', default='node_modules/@ffmpeg-installer/linux-x64/ffmpeg')
args = p.parse_args()


def read(path, n):
    cap = cv2.VideoCapture(path)
    frames = []
    while len(frames) < n:
        ok, f = cap.read()
        if not ok: break
        frames.append(f.astype(np.float32))
    return frames


A, B = read(args.a, 28), read(args.b, 29)
if len(A) < 28 or len(B) < 29:
    p.error(f'A needs 28 frames and B 29 (they have {len(A)} and {len(B)})')
frames = []
for i in range(49):
    if i < 20: f = A[i]
    elif i < 28: s = (i - 19) / 9; f = (1 - s) * A[i] + s * B[i - 20]
    else: f = B[i - 20]
    frames.append(np.clip(f + 0.5, 0, 255).astype(np.uint8))
h, w = frames[0].shape[:2]
enc = subprocess.Popen([args.ffmpeg, '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{w}x{h}', '-r', '30', '-i', '-', '-c:v', 'libx264', '-crf', '0', '-pix_fmt', 'yuv420p', args.out], stdin=subprocess.PIPE)
for f in frames: enc.stdin.write(f.tobytes())
enc.stdin.close()
enc.wait()
