#!/usr/bin/env bash
# The README's first command: on a fresh Debian machine, install everything dt needs, build
# dt, install it with install.sh (as a user would, from this checkout's dist/), and run dt's
# main job on the built-in example workspace.
#
#   bash scripts/demo.sh [DIR]      (default DIR: /tmp/dt-demo, recreated)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEMO=${1:-/tmp/dt-demo}
BIN_DIR=${DT_INSTALL_DIR:-$HOME/.local/bin}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

step "npm ci (brings Bun and the libraries)"
npm ci --no-audit --no-fund >&2

step "Docker engine and the offline base image (scripts/testbed.sh)"
bash scripts/testbed.sh
# shellcheck disable=SC1091
set -a; . "${DT_TESTBED_DIR:-/tmp/dt-testbed}/env"; set +a

step "build dt for this machine"
node_modules/.bin/bun scripts/build.ts --target linux-x64

step "install dt with install.sh into $BIN_DIR"
DT_DOWNLOAD_URL="file://$PWD/dist" DT_INSTALL_DIR="$BIN_DIR" sh install.sh
export PATH="$BIN_DIR:$PATH"

step "dt init --example $DEMO"
rm -rf "$DEMO"
dt init --example "$DEMO" --base-image "$DT_TEST_PYBASE"
cd "$DEMO"

step "dt ls"
dt ls

step "dt doctor"
dt doctor

step "dt config --dir apps/pricer"
dt config --dir apps/pricer

step "dt docker build --all (one image per runnable dir, from the offline base)"
dt docker build --all

step "dt test --all (each dir's fast tests in its own container)"
dt test --all

step "dt test --all --suite slow"
dt test --all --suite slow

step "dt sync (common files from the helpers_root sub-repo) and dt run hello (a task of dt.yaml)"
dt sync
dt run hello

printf '\nThe example workspace is in %s; dt is %s.\n' "$DEMO" "$(command -v dt)" >&2
# This script's PATH ends with it: say how to get the same in the user's own shell.
printf 'To use dt in your shell: export PATH="%s:$PATH" (fish: fish_add_path %s), then cd %s && dt ls\n' "$BIN_DIR" "$BIN_DIR" "$DEMO" >&2
