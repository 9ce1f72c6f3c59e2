#!/usr/bin/env python3
"""A PyTorch per-frame reference for the speed comparison (#13): the same TransformerNet, same
weights (a model folder: manifest.json + raw float32), every frame on its own, decoded and encoded
by ffmpeg (x264, crf 18) through pipes, as a plain PyTorch script would do it.

  python3 research/pytorch-reference.py <model dir> <input> <output.mp4> [--size 640x360] [--frames N] [--threads 2]

Prints one JSON line: frames, wall seconds (ffmpeg start to encoder done), seconds per frame.
Needs torch (Debian: python3-torch) and an ffmpeg binary (FFMPEG env or the project's
@ffmpeg-installer one).
"""
import argparse, json, os, subprocess, sys, time
import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('model'); p.add_argument('input'); p.add_argument('output')
p.add_argument('--size', default='640x360'); p.add_argument('--frames', type=int, default=0)
p.add_argument('--threads', type=int, default=os.cpu_count())
p.add_argument('--raw-out', help='also write the stylized frames as raw rgb24 here (for comparisons)')
a = p.parse_args()
torch.set_num_threads(a.threads)
ffmpeg = os.environ.get('FFMPEG') or subprocess.check_output(['node', '-e', "console.log(require('@ffmpeg-installer/ffmpeg').path)"], cwd=os.path.dirname(os.path.abspath(__file__)), text=True).strip()

manifest = json.load(open(os.path.join(a.model, 'manifest.json')))
def var(i):
    e = manifest['Variable' if i == 0 else f'Variable_{i}']
    return torch.from_numpy(np.fromfile(os.path.join(a.model, e['filename']), dtype='<f4').reshape(e['shape']).copy())
v = [var(i) for i in range(48)]
# TF [kh, kw, in, out] -> torch [out, in, kh, kw]; transposed TF [kh, kw, out, in] -> torch [in, out, kh, kw]
K = {i: v[i].permute(3, 2, 0, 1).contiguous() for i in [0, 3, 6] + list(range(9, 39, 3)) + [45]}
KT = {i: v[i].permute(3, 2, 0, 1).contiguous() for i in [39, 42]}

def norm(y, i, relu):
    y = F.instance_norm(y, weight=v[i + 2], bias=v[i + 1], eps=1e-3)
    return F.relu(y) if relu else y

def conv(x, i, k, stride, relu=True):
    if stride == 1:
        x = F.pad(x, (k // 2,) * 4)
    else:  # TF 'SAME', stride 2, 3x3: the odd padding goes bottom/right
        h, w = x.shape[2:]
        ph, pw = max((-(-h // 2) - 1) * 2 + k - h, 0), max((-(-w // 2) - 1) * 2 + k - w, 0)
        x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
    return norm(F.conv2d(x, K[i], stride=stride), i, relu)

def up(x, i):
    h, w = x.shape[2:]
    y = F.conv_transpose2d(x, KT[i], stride=2)[:, :, : 2 * h, : 2 * w]  # TF 'SAME': crop from the start
    return norm(y, i, True)

def net(x):
    y = conv(x, 0, 9, 1); y = conv(y, 3, 3, 2); y = conv(y, 6, 3, 2)
    for b in range(9, 39, 6):
        y = y + conv(conv(y, b, 3, 1), b + 3, 3, 1, relu=False)
    y = up(y, 39); y = up(y, 42); y = conv(y, 45, 9, 1, relu=False)
    return (torch.tanh(y) * 150 + 127.5).clamp(0, 255)

W, H = map(int, a.size.split('x'))
t0 = time.perf_counter()
limit = ['-frames:v', str(a.frames)] if a.frames else []
dec = subprocess.Popen([ffmpeg, '-v', 'error', '-i', a.input, '-vf', f'scale={W}:{H}', *limit, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], stdout=subprocess.PIPE)
enc = subprocess.Popen([ffmpeg, '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{W}x{H}', '-r', '30', '-i', '-', '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', a.output], stdin=subprocess.PIPE)
raw = open(a.raw_out, 'wb') if a.raw_out else None
n = 0
with torch.no_grad():
    while True:
        buf = dec.stdout.read(W * H * 3)
        if len(buf) < W * H * 3:
            break
        x = torch.from_numpy(np.frombuffer(buf, dtype=np.uint8).reshape(1, H, W, 3).astype(np.float32)).permute(0, 3, 1, 2)
        out = (net(x)[0].permute(1, 2, 0) + 0.5).to(torch.uint8).numpy().tobytes()
        enc.stdin.write(out)
        if raw: raw.write(out)
        n += 1
enc.stdin.close(); enc.wait(); dec.wait()
seconds = time.perf_counter() - t0
print(json.dumps({'frames': n, 'seconds': round(seconds, 3), 'secondsPerFrame': round(seconds / max(n, 1), 4), 'threads': a.threads, 'torch': torch.__version__}))
