#!/usr/bin/env bash
# Runs the whole test suite under a private Xvfb display (started here, stopped on exit).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-xcb}
xvfb_pid=""
if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null 2>&1; then
  for n in $(seq 90 120); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
    Xvfb ":$n" -screen 0 1920x1200x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    export DISPLAY=":$n"
    for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
    break
  done
fi
if [ -n "$xvfb_pid" ]; then
  trap 'kill $xvfb_pid 2>/dev/null' EXIT
  export HUBATLAS_REQUIRE_GL=1  # our own Xvfb: GL tests must run, not skip
fi
[ -z "${DISPLAY:-}" ] && export QT_QPA_PLATFORM=offscreen
"$VENV/bin/python" -m pytest "$@"
rc=$?
# pytest exit 5 = no tests collected: a suite that ran nothing is a failure here.
if [ $rc -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi
exit $rc
