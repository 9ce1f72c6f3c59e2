"""The independent judge, ewarp.py, imported from the folder a harness is given (--judge DIR or $STYLIZE_VIDEO_TOOLS)."""
import os, sys
import cv2
import numpy as np


def add_judge_argument(parser):
    parser.add_argument('--judge', default=os.environ.get('STYLIZE_VIDEO_TOOLS'), help='the folder that holds ewarp.py (default: $STYLIZE_VIDEO_TOOLS)')


def import_judge(parser, folder):
    """The judge module from `folder`, or the parser's usage error saying how to give it."""
    if not folder or not os.path.isfile(os.path.join(folder, 'ewarp.py')):
        parser.error('give --judge DIR or set STYLIZE_VIDEO_TOOLS: the folder that holds the judge, ewarp.py' + (f' (not in {folder})' if folder else ''))
    sys.path.insert(0, folder)
    import ewarp  # the judge itself
    return ewarp


def judged_run(parser):
    """A harness's arguments (with --judge), the judge, and judged_frames of its INPUT and PERFRAME arguments."""
    add_judge_argument(parser)
    args = parser.parse_args()
    ewarp = import_judge(parser, args.judge)
    return args, ewarp, judged_frames(ewarp, args.input, args.perframe)


def judged_frames(ewarp, input_path, perframe_path):
    """The per-frame render's frames, the input's at its size (as many of each), and the judge's
    flows between them and its cut pairs: what a harness measures a render against."""
    ref = ewarp.frames(perframe_path, 100000)
    size = (ref[0].shape[1], ref[0].shape[0])
    inp = ewarp.frames(input_path, len(ref), size)
    n = min(len(inp), len(ref))
    inp, ref = inp[:n], ref[:n]
    backward, forward = ewarp.judge_flows(input_path, inp, 'deepflow')
    return inp, ref, backward, forward, ewarp.cut_pairs(inp)


def grey(frame):
    """A frame's grey image, 0..1."""
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255


def bands(image):
    """A grey image split by Gaussian blurs: fine (less its blur at sigma 1.5, the judge's detail band), mid (sigma 1.5 to 4), low (above 4)."""
    fine_blur, mid_blur = cv2.GaussianBlur(image, (0, 0), 1.5), cv2.GaussianBlur(image, (0, 0), 4)
    return image - fine_blur, fine_blur - mid_blur, mid_blur
