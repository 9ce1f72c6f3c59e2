#!/usr/bin/env python3
"""Inputs made steadier before the network, to see whether the per-frame render flickers less
(docs/temporal-detail.md, What the per-frame reference allows). Tried and not kept.

usage:
  /usr/bin/python3 research/steady-input.py denoise IN.mp4 OUT.mp4 [--history 0.7] [--tolerance 0.06]
      the input filtered along its own motion (OpenCV DIS, not the judge's DeepFlow):
      D_t = I_t + h·m·(warp(D_{t-1}) - I_t), m where the flow's round trip and brightness agree
      and the filtered past still looks like this frame
  /usr/bin/python3 research/steady-input.py lock IN.mp4 CANVAS.mp4 OFFSETS.json [--fraction]
      each frame placed on a canvas 4 pixels larger, moved by the clip's global motion (the median
      DIS vector, summed) modulo 4, so that the scene keeps its place against the network's
      stride-4 grid; whole pixels, or with --fraction the rest too (Lanczos)
  /usr/bin/python3 research/steady-input.py crop CANVAS_STYLIZED.mp4 OFFSETS.json OUT.mp4 [--crf 18]
      the stylized canvases moved back and cut to the frame
Then stylize DENOISED or CANVAS with `--no-temporal --crf 0` and judge against the plain input's
per-frame render. 48 frames; lossless output unless --crf.
"""
import argparse, json, subprocess
import cv2
import numpy as np

p = argparse.ArgumentParser()
p.add_argument('mode', choices=['denoise', 'lock', 'crop'])
p.add_argument('paths', nargs='+')
p.add_argument('--history', type=float, default=0.7)
p.add_argument('--tolerance', type=float, default=0.06)
p.add_argument('--fraction', action='store_true')
p.add_argument('--crf', default='0')
p.add_argument('--frames', type=int, default=48)
p.add_argument('--ffmpeg', default='node_modules/@ffmpeg-installer/linux-x64/ffmpeg')
a = p.parse_args()


def read(path, n):
    cap = cv2.VideoCapture(path)
    fps, out = cap.get(cv2.CAP_PROP_FPS), []
    while len(out) < n:
        ok, f = cap.read()
        if not ok: break
        out.append(f)
    return out, fps


def encode(path, frames, fps, crf, lossless_format='yuv444p'):
    h, w = frames[0].shape[:2]
    enc = subprocess.Popen([a.ffmpeg, '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{w}x{h}', '-r', str(fps), '-i', '-',
                            '-c:v', 'libx264', '-crf', crf, '-pix_fmt', lossless_format if crf == '0' else 'yuv420p', path], stdin=subprocess.PIPE)
    for f in frames: enc.stdin.write(np.ascontiguousarray(f).tobytes())
    enc.stdin.close()
    enc.wait()


dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
if a.mode == 'denoise':
    frames, fps = read(a.paths[0], a.frames)
    h, w = frames[0].shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out, previous, D = [], None, None
    for f in frames:
        g, I = cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), f.astype(np.float32)
        if D is None: D = I
        else:
            back, ahead = dis.calc(g, previous, None), dis.calc(previous, g, None)
            mx, my = gx + back[..., 0], gy + back[..., 1]
            warped = cv2.remap(D, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            before = cv2.remap(previous.astype(np.float32), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            round_trip = cv2.remap(ahead, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            error = np.hypot(back[..., 0] + round_trip[..., 0], back[..., 1] + round_trip[..., 1])
            m = ((np.abs(before - g) / 255 < a.tolerance) & (error < 0.5 + 0.05 * np.hypot(back[..., 0], back[..., 1]))).astype(np.float32)
            m = cv2.blur(m, (5, 5)) * np.clip(1 - (np.abs(warped - I).mean(axis=2) / 255 - a.tolerance) / a.tolerance, 0, 1)
            D = I + (a.history * m)[..., None] * (warped - I)
        previous = g
        out.append(np.clip(D + 0.5, 0, 255).astype(np.uint8))
    encode(a.paths[1], out, fps, a.crf, 'yuv420p')  # as the clips are
elif a.mode == 'lock':
    frames, fps = read(a.paths[0], a.frames)
    moved, offsets, previous = np.zeros(2), [], None
    for f in frames:
        g = cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)
        if previous is not None: moved -= np.median(dis.calc(g, previous, None).reshape(-1, 2), axis=0)
        previous = g
        offsets.append([float(-v % 4) for v in moved] if a.fraction else [int(-round(v) % 4) for v in moved])
    canvases = []
    for f, (sx, sy) in zip(frames, offsets):
        h, w = f.shape[:2]
        padded = cv2.copyMakeBorder(f, 4, 4, 4, 4, cv2.BORDER_REFLECT_101)
        canvases.append(cv2.warpAffine(padded, np.float32([[1, 0, 4 - sx], [0, 1, 4 - sy]]), (w + 4, h + 4), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101))
    encode(a.paths[1], canvases, fps, '0')
    json.dump({'offsets': offsets, 'fps': fps}, open(a.paths[2], 'w'))
else:
    frames, _ = read(a.paths[0], a.frames)
    meta = json.load(open(a.paths[1]))
    out = [cv2.warpAffine(f, np.float32([[1, 0, sx], [0, 1, sy]]), (f.shape[1] - 4, f.shape[0] - 4), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)
           for f, (sx, sy) in zip(frames, meta['offsets'])]
    encode(a.paths[2], out, meta['fps'], a.crf)
