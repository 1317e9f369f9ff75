#!/bin/sh
# The container entrypoint: apply the DT_* environment dt passes in, activate the image's
# Python environment, and exec the command. It probes nothing and starts no other container.
set -e

# dt runs the container as the host user, whose uid has no home in the image.
if [ -z "${HOME:-}" ] || [ "$HOME" = / ] || ! [ -w "$HOME" ]; then
  if [ -d /home/dt ] && [ -w /home/dt ]; then export HOME=/home/dt; else export HOME=/tmp; fi
fi

if [ -f /opt/dt/venv/bin/activate ]; then
  . /opt/dt/venv/bin/activate
fi

# PATH and PYTHONPATH entries of the workspace and its sub-repos (setenv.path/pythonpath).
if [ -n "${DT_PATH:-}" ]; then export PATH="$DT_PATH:$PATH"; fi
if [ -n "${DT_PYTHONPATH:-}" ]; then export PYTHONPATH="$DT_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}"; fi

if [ "${DT_DIND:-}" = "1" ] && command -v dockerd >/dev/null 2>&1; then
  dockerd >/tmp/dockerd.log 2>&1 &
  i=0
  while [ $i -lt 30 ] && ! docker info >/dev/null 2>&1; do i=$((i + 1)); sleep 1; done
fi

exec "$@"
