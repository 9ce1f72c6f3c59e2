#!/usr/bin/python3
"""A video perfectly consistent along a known motion: one frame of VIDEO moved by a constant
shift a frame, each frame resampled once from that frame (Lanczos; OpenCV places samples to 1/32
px), so that nothing in it changes but its place (the edges, reflected, aside). Made of a clip
and of its stylization with the same shift, it is a render that follows its input exactly: what
the judge reads of it is the judge's own error (docs/temporal-detail.md, The judge's warp).

usage: /usr/bin/python3 research/moving-picture.py VIDEO OUT.mkv [--frame 10] [--shift 0.23,0.11] [--frames 48]
Written lossless (FFV1, BGR), at VIDEO's size.
"""
import argparse, subprocess
import cv2
import numpy as np

p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
p.add_argument('video'); p.add_argument('output')
p.add_argument('--frame', type=int, default=10, help='which frame of VIDEO moves (default 10)')
p.add_argument('--shift', default='0.23,0.11', help='pixels a frame, across and down (default 0.23,0.11)')
p.add_argument('--frames', type=int, default=48)
a = p.parse_args()
dx, dy = (float(v) for v in a.shift.split(','))

cap = cv2.VideoCapture(a.video)
for _ in range(a.frame + 1):
    ok, picture = cap.read()
    if not ok: p.error(f'{a.video} has no frame {a.frame}')
h, w = picture.shape[:2]
enc = subprocess.Popen(['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{w}x{h}', '-r', '30', '-i', '-',
                        '-c:v', 'ffv1', '-pix_fmt', 'bgr0', a.output], stdin=subprocess.PIPE)
for t in range(a.frames):
    # content at x in frame t is the picture's at x - t·shift: frame t's pixel x samples the picture at x - t·shift
    m = np.float32([[1, 0, t * dx], [0, 1, t * dy]])
    enc.stdin.write(cv2.warpAffine(picture, m, (w, h), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT).tobytes())
enc.stdin.close()
if enc.wait() != 0: raise SystemExit(f'moving-picture.py: ffmpeg failed writing {a.output}')
