#!/usr/bin/env bash
# Stability against style for one clip, scored by the independent judge (ewarp.py):
#
#   STYLIZE_VIDEO_TOOLS=<dir> STRENGTHS="0.5 0.7 0.9" research/stability-sweep.sh clip.mp4 [style] > clip.json
#
# STYLIZE_VIDEO_TOOLS is the folder that holds the judge, ewarp.py, and the plain blend,
# baseline_blend.py (the project's measuring tools, kept outside the repository).
# Renders the clip per-frame (--no-temporal) and at each --temporal strength (default CRF), runs
# the plain OpenCV blend (baseline_blend.py) on the per-frame render at
# ALPHAS="0.3 0.5 0.7 0.85", and prints
#   {"<clip name>": {"stage": [{strength, relativeWarpingError, ssim, psnr, drift}...],
#                    "baseline": [{alpha, relativeWarpingError, ssim}...]}}
# relativeWarpingError is E_warp over the per-frame render's E_warp; ssim, psnr and drift (mean
# luminance, last tenth of the clip) are against the per-frame render. Merge clips with
# `jq -s add *.json`, or hand them all to research/plot-stability.js. Needs npm run build,
# ffmpeg, and /usr/bin/python3 with OpenCV (apt-get install python3-opencv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STYLIZE_VIDEO_TOOLS:-}
# Debian's python3-opencv installs into the system interpreter, not a pyenv or venv one.
python=/usr/bin/python3

[[ $# -ge 1 && $# -le 2 ]] || { echo 'usage: STYLIZE_VIDEO_TOOLS=<dir with ewarp.py> STRENGTHS="0.5 0.7 0.9" research/stability-sweep.sh clip.mp4 [style] > clip.json' >&2; exit 2; }
[[ -n $tools ]] || { echo 'stability-sweep: set STYLIZE_VIDEO_TOOLS to the folder that holds ewarp.py and baseline_blend.py' >&2; exit 2; }
input=$1; style=${2:-wave}
[[ -f $input ]] || { echo "stability-sweep: no such clip: $input" >&2; exit 1; }
[[ -f $tools/ewarp.py && -f $tools/baseline_blend.py ]] || { echo "stability-sweep: the measuring tools are missing from $tools (ewarp.py, baseline_blend.py)" >&2; exit 1; }
"$python" -c 'import cv2' 2>/dev/null || { echo "stability-sweep: $python cannot import cv2: apt-get install python3-opencv" >&2; exit 1; }
[[ -f $root/dist/cli.js ]] || { echo 'stability-sweep: no build in dist/: run npm run build' >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The CLI's stdout goes to stderr so that this script's stdout is the JSON alone.
render() { node "$root/bin/stylize-video.js" "$input" --style "$style" "$@" -y -q >&2; }
judge() { "$python" "$tools/ewarp.py" "$input" "$1" --ref "$work/perframe.mp4" --json; }

render --no-temporal -o "$work/perframe.mp4"
"$python" "$tools/ewarp.py" "$input" "$work/perframe.mp4" --json > "$work/perframe.json"
for strength in ${STRENGTHS:-0.3 0.5 0.7 0.8 0.9}; do
  render --temporal "$strength" -o "$work/stage-$strength.mp4"
  judge "$work/stage-$strength.mp4" > "$work/stage-$strength.json"
done
for alpha in ${ALPHAS:-0.3 0.5 0.7 0.85}; do
  "$python" "$tools/baseline_blend.py" "$input" "$work/perframe.mp4" "$work/baseline-$alpha.mp4" "$alpha" >&2
  judge "$work/baseline-$alpha.mp4" > "$work/baseline-$alpha.json"
done

clip=$(basename "${input%.*}")
node --input-type=module - "$work" "$clip" <<'JS'
import { readdirSync, readFileSync } from 'node:fs';
const [work, clip] = process.argv.slice(2);
const judged = (name) => JSON.parse(readFileSync(`${work}/${name}`, 'utf8'));
const perFrameError = judged('perframe.json').ewarp;
const runs = (prefix) => readdirSync(work)
  .filter((name) => name.startsWith(prefix) && name.endsWith('.json'))
  .map((name) => [Number(name.slice(prefix.length, -'.json'.length)), judged(name)])
  .sort(([a], [b]) => a - b);
const stage = runs('stage-').map(([strength, j]) => ({ strength, relativeWarpingError: j.ewarp / perFrameError, ssim: j.ssim_vs_ref, psnr: j.psnr_vs_ref, drift: j.drift_luma }));
const baseline = runs('baseline-').map(([alpha, j]) => ({ alpha, relativeWarpingError: j.ewarp / perFrameError, ssim: j.ssim_vs_ref }));
console.log(JSON.stringify({ [clip]: { stage, baseline } }, null, 1));
JS
