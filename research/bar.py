#!/usr/bin/python3
"""Issue 23's bar on one clip: renders judged against the per-frame render, and against the plain
blend at the same SSIM.

For each OUTPUT: the judge's E_warp as a share of the per-frame render's, SSIM to it, detail kept,
drift, and E_warp over the plain blend's at the same SSIM (the judge's baseline_blend.py at 0.3,
0.5, 0.7 and 0.85 on the lossless per-frame render, linear between the two weights whose SSIM
brackets the output's, the nearest two beyond); `first` marks detail >= 0.85 with E_warp <= 25% and
SSIM >= 0.88, `second` a ratio of 0.7 or less. --blend-crf N encodes the plain blend at CRF N
instead of the tool's own 16 (the tool run with that number alone changed): the ratio with the
blend encoded as the render is (docs/temporal-detail.md, The plain blend's encoder). --judge-warp
cubic or lanczos judges every video (the plain blend's too) with the judge's warp of the previous
frame by that kernel instead of bilinear, nothing else changed (its occlusion mask, which warps
the flow through the same function, follows on a few pixels: The judge's warp). --judge-flow
tvl1, dis or farneback judges every video along a flow of that method instead of the judge's
DeepFlow (The stage along the judge's flow). The blend's
renders and every judgement are cached by the tools' code and the files' contents.

usage: bar.py INPUT PERFRAME_LOSSLESS PERFRAME OUTPUT [OUTPUT ...] [--blend-crf N] [--judge-warp KIND] [--judge-flow METHOD] [--cache DIR] [--json] --judge DIR
"""
import argparse, functools, hashlib, json, os, subprocess, sys, tempfile
from judge import add_judge_argument

ALPHAS = (0.3, 0.5, 0.7, 0.85)
TOOL_ENCODE = "'-crf', '16'"  # how baseline_blend.py names its encode
JUDGE_WARP = 'cv2.INTER_LINEAR, borderMode'  # how ewarp.py's warp names its kernel
WARP_KERNELS = {'linear': 'cv2.INTER_LINEAR', 'cubic': 'cv2.INTER_CUBIC', 'lanczos': 'cv2.INTER_LANCZOS4'}
JUDGE_FLOW_ARG = "p.add_argument('--flow', choices=['deepflow', 'dis', 'farneback'], default='deepflow')"  # how ewarp.py declares its flow
JUDGE_FLOW_METHODS = "'farneback': lambda: None}[name]()"  # the end of its table of flow methods
JUDGE_FLOWS = ('deepflow', 'dis', 'farneback', 'tvl1')


@functools.lru_cache(maxsize=None)  # each file is read once a run: the judge, the input and the references recur in every key
def digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''): h.update(block)
    return h.hexdigest()[:16]


def run(command, what):
    """A tool's run, or exit with what failed and the tool's own last words."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bar.py: {what} failed (exit {done.returncode}): {(done.stderr.strip().splitlines() or ['no message'])[-1]}")
    return done.stdout


def judged(judge, cache, inp, video, ref=None):
    """The judge's JSON (`judge`: its ewarp.py, or a copy) for `video` (against `ref`), cached by the judge's code and the three files' contents."""
    key = os.path.join(cache, f"judged-{digest(judge)}-{digest(inp)}-{digest(video)}-{digest(ref) if ref else 'none'}.json")
    if not os.path.exists(key):
        out = run([sys.executable, judge, inp, video, '--json'] + (['--ref', ref] if ref else []), f'the judge on {video}').strip().splitlines()
        part = f'{key}.{os.getpid()}.part'
        with open(part, 'w') as f: f.write(out[-1] if out else '')
        json.load(open(part))  # a judgement that is not JSON is not kept
        os.replace(part, key)
    with open(key) as f: return json.load(f)


def frame_count(path):
    out = run(['ffprobe', '-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path], f'ffprobe on {path}')
    return int(out.strip() or 0)


def tool_copy(tool, cache, changes, flag):
    """A copy of one of the judge's tools with each (line, replacement) of `changes` made (each line found exactly once), kept in the cache by its text."""
    changed = open(tool).read()
    for line, replacement in changes:
        if changed.count(line) != 1: sys.exit(f'bar.py: {tool} no longer has {line} once: {flag} cannot change it; run without it')
        changed = changed.replace(line, replacement)
    name = os.path.splitext(os.path.basename(tool))[0]
    copy = os.path.join(cache, f'{name}-{hashlib.sha256(changed.encode()).hexdigest()[:16]}.py')
    if not os.path.exists(copy):
        part = f'{copy}.{os.getpid()}.part'
        with open(part, 'w') as f: f.write(changed)
        os.replace(part, copy)
    return copy


def blend_tool(judge_dir, cache, crf):
    """The judge's plain blend, or a copy of it that encodes at `crf`, nothing else changed."""
    tool = os.path.join(judge_dir, 'baseline_blend.py')
    return tool if crf is None else tool_copy(tool, cache, [(TOOL_ENCODE, f"'-crf', '{crf}'")], '--blend-crf')


def judge_tool(judge_dir, cache, kernel, flow):
    """The judge, or a copy of it whose warp of the previous frame is by `kernel` and whose flow is `flow` (OpenCV's TV-L1 added to its methods), nothing else changed."""
    changes = [] if kernel == 'linear' else [(JUDGE_WARP, f'{WARP_KERNELS[kernel]}, borderMode')]
    if flow != 'deepflow':
        changes += [(JUDGE_FLOW_ARG, f"p.add_argument('--flow', choices={list(JUDGE_FLOWS)}, default='{flow}')"),
                    (JUDGE_FLOW_METHODS, "'farneback': lambda: None, 'tvl1': lambda: cv2.optflow.DualTVL1OpticalFlow_create()}[name]()")]
    judge = os.path.join(judge_dir, 'ewarp.py')
    return tool_copy(judge, cache, changes, '--judge-warp or --judge-flow') if changes else judge


def blend_rows(judge_dir, judge, cache, inp, lossless, ref, crf):
    """(SSIM, E_warp, detail, alpha) of the plain blend at each weight, judged (`judge`) against `ref`."""
    tool, rows = blend_tool(judge_dir, cache, crf), []
    frames = None
    for alpha in ALPHAS:
        out = os.path.join(cache, f"blend-{digest(tool)}-{digest(inp)}-{digest(lossless)}-{alpha}.mp4")
        if not os.path.exists(out):
            part = f'{out[:-4]}.{os.getpid()}.part.mp4'
            run([sys.executable, tool, inp, lossless, part, str(alpha)], f'the plain blend at {alpha}')
            # the tool does not check its encoder's exit: a blend is kept only whole
            frames = frames if frames is not None else frame_count(lossless)
            if not os.path.exists(part) or frame_count(part) != frames:
                sys.exit(f'bar.py: the plain blend at {alpha} wrote no whole video ({frames} frames expected): is ffmpeg on the PATH?')
            os.replace(part, out)
        j = judged(judge, cache, inp, out, ref)
        rows.append((j['ssim_vs_ref'], j['ewarp'], j['detail_vs_ref'], alpha))
    return sorted(rows)


def blend_ewarp_at(rows, ssim):
    """The plain blend's E_warp at `ssim`: linear between the two rows that bracket it, the nearest two beyond."""
    pairs = list(zip(rows, rows[1:]))
    lo, hi = next(((a, b) for a, b in pairs if a[0] <= ssim <= b[0]), pairs[0] if ssim < rows[0][0] else pairs[-1])
    if hi[0] == lo[0]: return (lo[1] + hi[1]) / 2
    return lo[1] + (hi[1] - lo[1]) * (ssim - lo[0]) / (hi[0] - lo[0])


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('input'); p.add_argument('lossless', help='the lossless --no-temporal render (--crf 0): what the plain blend filters')
    p.add_argument('perframe', help='the --no-temporal render at the default settings: the reference')
    p.add_argument('outputs', nargs='+')
    p.add_argument('--blend-crf', type=int, help="the plain blend's CRF (default: the tool's own, 16)")
    p.add_argument('--judge-warp', choices=sorted(WARP_KERNELS), default='linear', help="the kernel of the judge's warp of the previous frame (default: the judge's own, linear)")
    p.add_argument('--judge-flow', choices=JUDGE_FLOWS, default='deepflow', help="the judge's flow (default: its own, DeepFlow): tvl1 (OpenCV's TV-L1), dis or farneback judge along a flow of another method")
    p.add_argument('--cache', default=os.path.join(tempfile.gettempdir(), 'stylize-video-bar'))
    p.add_argument('--json', action='store_true')
    add_judge_argument(p)
    a = p.parse_args()
    if not a.judge or not all(os.path.isfile(os.path.join(a.judge, t)) for t in ('ewarp.py', 'baseline_blend.py')):
        p.error('give --judge DIR or set STYLIZE_VIDEO_TOOLS: the folder that holds ewarp.py and baseline_blend.py')
    if a.blend_crf is not None and not 0 <= a.blend_crf <= 51: p.error(f'--blend-crf is {a.blend_crf}: give an x264 CRF from 0 to 51')
    missing = [f for f in [a.input, a.lossless, a.perframe, *a.outputs] if not os.path.isfile(f)]
    if missing: p.error(f'no such file: {missing[0]}')
    os.makedirs(a.cache, exist_ok=True)
    judge = judge_tool(a.judge, a.cache, a.judge_warp, a.judge_flow)
    perframe = judged(judge, a.cache, a.input, a.perframe)['ewarp']
    rows = blend_rows(a.judge, judge, a.cache, a.input, a.lossless, a.perframe, a.blend_crf)
    results = []
    for out in a.outputs:
        j = judged(judge, a.cache, a.input, out, a.perframe)
        share, ratio = j['ewarp'] / perframe, j['ewarp'] / blend_ewarp_at(rows, j['ssim_vs_ref'])
        results.append({'output': out, 'ewarp_share': share, 'ssim': j['ssim_vs_ref'], 'detail': j['detail_vs_ref'], 'ratio': ratio, 'drift': j['drift_luma'],
                        'cut_pairs': j['cut_pairs'], 'first': j['detail_vs_ref'] >= 0.85 and share <= 0.25 and j['ssim_vs_ref'] >= 0.88, 'second': ratio <= 0.7})
    blend = [{'alpha': al, 'ewarp_share': e / perframe, 'ssim': s, 'detail': d} for s, e, d, al in sorted(rows, key=lambda r: r[3])]
    if a.json:
        print(json.dumps({'blend_crf': a.blend_crf, 'judge_warp': a.judge_warp, 'judge_flow': a.judge_flow, 'blend': blend, 'outputs': results}))  # blend_crf null: the tool's own
        return
    print('plain blend (%s, the judge warping %s along %s): ' % (f'CRF {a.blend_crf}' if a.blend_crf is not None else "the tool's own CRF", a.judge_warp, a.judge_flow) + '; '.join(f"a {b['alpha']} {100 * b['ewarp_share']:.1f}% / {b['ssim']:.3f} / {b['detail']:.2f}" for b in blend))
    for r in results:
        print(f"{r['output']}: E_warp {100 * r['ewarp_share']:.1f}% SSIM {r['ssim']:.3f} detail {r['detail']:.3f} ratio {r['ratio']:.3f} drift {100 * r['drift']:+.2f}%"
              + ('  first' if r['first'] else '') + ('  second' if r['second'] else ''))


if __name__ == '__main__':
    main()
