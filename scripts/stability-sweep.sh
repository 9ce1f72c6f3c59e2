#!/usr/bin/env bash
# Renders a clip per-frame and at several temporal strengths, and scores each with the metrics
# command against the per-frame render: STRENGTHS="0.5 0.8" scripts/stability-sweep.sh clip.mp4 [style]
set -euo pipefail
cd "$(dirname "$0")/.."
in=$1; style=${2:-wave}; base=${in%.*}
node bin/stylize-video.js "$in" --style "$style" --no-temporal -o "$base.perframe.mp4" -y -q --crf 12
echo "perframe: $(node bin/stylize-video.js metrics "$in" "$base.perframe.mp4" --json)"
for s in ${STRENGTHS:-0.3 0.5 0.7 0.8 0.9}; do
  node bin/stylize-video.js "$in" --style "$style" --temporal "$s" -o "$base.t$s.mp4" -y -q --crf 12
  echo "t=$s: $(node bin/stylize-video.js metrics "$in" "$base.t$s.mp4" --reference "$base.perframe.mp4" --json)"
done
