#!/bin/sh
# Installs a runnable dir's dependencies into the image. Nothing to install is fine.
set -eu
here=/opt/dt/project/devops/docker_build

# OS packages: one per line in os_packages.txt, '#' starts a comment.
if [ -f "$here/os_packages.txt" ]; then
  packages=$(sed -e 's/#.*//' "$here/os_packages.txt" | tr -s ' \t\n' ' ')
  if [ -n "$(echo "$packages" | tr -d ' ')" ]; then
    apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
    rm -rf /var/lib/apt/lists/*
  fi
fi

# Poetry for a poetry project, also before it declares dependencies: `dt deps lock` resolves in
# this image. On Debian's own python3, Debian's python3-poetry (it runs on that python and
# installs into it); on any other python (python:3.12-slim has its own in /usr/local), pip's.
project=/opt/dt/project/pyproject.toml
if [ -f "$project" ] && grep -Eq '^\[tool\.poetry|^\[(tool\.poetry\.)?dependencies\]|^dependencies *=' "$project"; then
  if ! command -v poetry >/dev/null 2>&1; then
    if [ "$(command -v python3)" = /usr/bin/python3 ] && command -v apt-get >/dev/null 2>&1 && dpkg -s python3-minimal >/dev/null 2>&1; then
      apt-get update
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-poetry
      rm -rf /var/lib/apt/lists/*
    else
      python3 -m pip install --no-cache-dir poetry
    fi
  fi
fi

# Python dependencies with poetry, when pyproject.toml declares any. Debian's python refuses
# installs outside apt (PEP 668) unless told; this image is the environment, nothing else shares it.
if [ -f "$project" ] && grep -Eq '^\[(tool\.poetry\.)?dependencies\]|^dependencies *=' "$project"; then
  cd /opt/dt/project
  poetry config virtualenvs.create false
  PIP_BREAK_SYSTEM_PACKAGES=1 PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring poetry install --no-root --no-interaction
fi

# Shared Python code the dir links in under python_packages/ (a package of a sub-repo, through
# a symlink the build context resolves): registered on the image's Python path, so that a prod
# container, which has no workspace mounted, imports it as a dev container does.
if [ -d "$here/python_packages" ] && command -v python3 >/dev/null 2>&1; then
  site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  mkdir -p "$site"
  echo "$here/python_packages" > "$site/dt-python-packages.pth"
fi

# A HOME that any uid can write to: dt runs the container as the host user.
mkdir -p /home/dt && chmod 1777 /home/dt
chmod 755 /opt/dt/project/devops/docker_run/entrypoint.sh
