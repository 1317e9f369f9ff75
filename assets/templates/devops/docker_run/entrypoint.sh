#!/bin/sh
# The container entrypoint: set the DT_* variables, activate the Python environment, exec.
# It probes nothing and starts no other container.
set -e
export HOME="${HOME:-/home/dt}"
[ -w "$HOME" ] || export HOME=/home/dt
if [ -f /opt/dt/venv/bin/activate ]; then
  . /opt/dt/venv/bin/activate
fi
if [ -n "${DT_WORKSPACE:-}" ] && [ -d "$DT_WORKSPACE" ]; then
  export PYTHONPATH="${DT_TARGET_DIR:-$DT_WORKSPACE}${PYTHONPATH:+:$PYTHONPATH}"
fi
if [ "${DT_DIND:-}" = "1" ] && command -v dockerd >/dev/null 2>&1; then
  (dockerd >/tmp/dockerd.log 2>&1 &)
fi
exec "$@"
