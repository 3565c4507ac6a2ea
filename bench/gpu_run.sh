#!/usr/bin/env bash
# The GPU measurements in one run on a lent NVIDIA machine (see the README's Performance section): EGL, the
# 2M synthetic atlas made there, bench/render.py with every point every frame and with the adaptive level of
# detail, and bench/peers.py. Expects .gl/ (libglvnd/EGL debs) and .whl/ (wheels: hubatlas and what the image
# lacks) beside it, as the device tool's README describes; results go to $OUT.
set -u
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; python3 -c "import ctypes.util as u; print(\"fontconfig:\", u.find_library(\"fontconfig\"))"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
nv=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$nv" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$nv
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
C=/tmp/atlas
t0=$(date +%s)
[ -f $C/snapshot/manifest.json ] || python3 -m hubatlas.viewer.cli --cache $C synth --models "${MODELS:-2000000}" --json > "$OUT/synth.json" || exit 2
[ -f $C/layouts/done ] || { python3 -m hubatlas.viewer.cli --cache $C layout -q --json > "$OUT/layout.json" && touch $C/layouts/done; } || exit 3
echo "atlas ready in $(( $(date +%s) - t0 )) s"
python3 -m bench.render --cache $C --egl --all-points --changes 40 2>&1 | tee "$OUT/render_all.txt" | tail -1
python3 -m bench.peers --cache $C --egl --frames 120 --slow-frames 4 2>&1 | tee "$OUT/peers.txt" | tail -1
python3 -m bench.render --cache $C --egl --changes 40 2>&1 | tee "$OUT/render_lod.txt" | tail -1
echo "all done in $(( $(date +%s) - t0 )) s"
