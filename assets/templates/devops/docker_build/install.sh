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

# Python dependencies with poetry, when pyproject.toml declares any.
if [ -f /opt/dt/project/pyproject.toml ] && grep -Eq '^\[(tool\.poetry\.)?dependencies\]|^dependencies *=' /opt/dt/project/pyproject.toml; then
  command -v poetry >/dev/null 2>&1 || python3 -m pip install --no-cache-dir poetry
  cd /opt/dt/project
  poetry config virtualenvs.create false
  poetry install --no-root --no-interaction
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
