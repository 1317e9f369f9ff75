#!/usr/bin/env bash
# Test bed for dt's test suite: a real Docker engine, two loopback registries
# (open and htpasswd-protected), QEMU for arm64, and offline base images.
#
#   bash scripts/testbed.sh        set up (idempotent: reuses what already answers)
#   bash scripts/testbed.sh stop   stop only the dockerd/registries this script started
#
# State lives in $DT_TESTBED_DIR (default /tmp/dt-testbed); the result is written to
# $DT_TESTBED_DIR/env (shell KEY=value) and $DT_TESTBED_DIR/testbed.json.
# The machine has no internet except the Debian mirror and npm, so every image is
# built locally from Debian packages and cached under a key of its recipe.
set -euo pipefail

STATE=${DT_TESTBED_DIR:-/tmp/dt-testbed}
LOGS=$STATE/logs
REGISTRY_PORT=5000
AUTH_REGISTRY_PORT=5001
AUTH_USER=dtuser
AUTH_PASSWORD=dt-secret-pw-42
APT_PACKAGES=(docker.io debootstrap docker-registry apache2-utils hyperfine strace zsh fish
  qemu-user-static binfmt-support git file python3 curl ca-certificates
  python3-build python3-setuptools python3-wheel)
PYBASE_INCLUDE=python3,python3-pytest,python3-venv,git,ca-certificates
# The same with Debian's poetry, for `dt deps` (its own key: a second image, the first unchanged).
# debootstrap does not resolve virtual packages: python3-cryptography (poetry -> keyring) needs
# python3-cffi-backend-api-*, which python3-cffi-backend provides, so it is named here.
POETRYBASE_INCLUDE=$PYBASE_INCLUDE,python3-poetry,python3-cffi-backend
# The product talks to the engine's API, but the bed may use the CLI. The client here has
# no buildx plugin, so ask for the classic builder explicitly (also what arm64 needs).
export DOCKER_BUILDKIT=0
export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg may be running (e.g. a provisioning step): wait for its lock, don't fail.
APT_OPTS=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=2)
APT_UPDATED=0

log() { printf 'testbed: %s\n' "$*" >&2; }
warn() { printf 'testbed: WARNING: %s\n' "$*" >&2; }
die() {
  printf 'testbed: ERROR: %s\n' "$*" >&2
  exit 1
}

# Run a noisy command with its output in $LOGS/NAME.log; on failure show the tail.
run_logged() {
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 && return 0
  local rc=$?
  warn "'$*' failed (exit $rc); last lines of $LOGS/$name.log:"
  tail -n 20 "$LOGS/$name.log" >&2 || true
  return "$rc"
}

# First 12 hex chars of the sha256 of a recipe text: the image cache key.
recipe_key() { printf '%s' "$1" | sha256sum | cut -c1-12; }

# ---------------------------------------------------------------- packages

apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  log "apt-get update"
  # Third-party sources on these machines are unreachable; apt then exits non-zero
  # although the Debian lists were refreshed. Judge by what we install next instead.
  run_logged apt-update apt-get "${APT_OPTS[@]}" update || warn "apt-get update reported errors; continuing"
  APT_UPDATED=1
}

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do is_installed "$p" || missing+=("$p"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "packages: all present"
    return 0
  fi
  log "packages: installing ${missing[*]}"
  apt_update_once
  run_logged apt-install apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed"
}

# ---------------------------------------------------------------- processes

# Is PID alive and running the program NAME? Guards against killing a recycled pid.
pid_is() {
  local pid=$1 name=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]
}

# Start a long-lived daemon detached from this script: own session (survives the
# script and its terminal), no inherited stdio (a `| tee` in test.sh would otherwise
# never see EOF) and no inherited lock fd 9 (it would hold our flock forever).
spawn_daemon() {
  local pidfile=$1 logfile=$2
  shift 2
  setsid nohup "$@" </dev/null >"$logfile" 2>&1 9>&- &
  echo $! >"$pidfile"
}

# Stop a daemon this script started, by its recorded pid only.
stop_recorded() {
  local pidfile=$1 name=$2 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if pid_is "$pid" "$name"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do
      pid_is "$pid" "$name" || break
      sleep 1
    done
    if pid_is "$pid" "$name"; then
      warn "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- engine

engine_answers() { timeout 5 docker info >/dev/null 2>&1; }

# With --bridge=none, every container made without an explicit network (a build's RUN step,
# for one) leaves a "stale sandbox" in libnetwork's store, and the next dockerd removes them
# one by one at start-up, about 0.1 s each, before it answers: after a few suite runs that was
# over 6 minutes (moby/moby#46583). When the engine has no container at all, no sandbox in the
# store can be live, so the store is set aside and dockerd makes a fresh one (it recreates the
# built-in host and none networks; the bed never creates others).
reset_stale_network_store() {
  local root=/var/lib/docker store
  store=$root/network/files/local-kv.db
  [ -f "$store" ] || return 0
  if [ -d "$root/containers" ] && [ -z "$(ls -A "$root/containers" 2>/dev/null)" ]; then
    log "engine: no containers on it; resetting libnetwork's store ($(du -h "$store" | cut -f1)) so start-up skips stale sandboxes"
    rm -f "$store"
  fi
}

# Waits while dockerd is alive and still writing its log (it may be busy at start-up, as
# above); gives up after 60 s of silence or 20 minutes in all.
wait_for_engine() {
  local pid=$1 start now last_size size quiet=0 next_report
  start=$(date +%s)
  next_report=$((start + 30))
  last_size=0
  while :; do
    engine_answers && { log "engine: up (pid $pid) after $(( $(date +%s) - start ))s"; return 0; }
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$STATE/dockerd.log" >&2 || true
      die "dockerd exited during start-up; see $STATE/dockerd.log"
    fi
    now=$(date +%s)
    size=$(stat -c %s "$STATE/dockerd.log" 2>/dev/null || echo 0)
    if [ "$size" != "$last_size" ]; then quiet=0; last_size=$size; else quiet=$((quiet + 1)); fi
    if [ "$quiet" -ge 10 ] || [ $((now - start)) -ge 1200 ]; then
      tail -n 20 "$STATE/dockerd.log" >&2 || true
      die "dockerd did not answer 'docker info' after $((now - start)) s; see $STATE/dockerd.log"
    fi
    if [ "$now" -ge "$next_report" ]; then
      next_report=$((now + 30))
      log "engine: still starting after $((now - start)) s ($(grep -c 'Removing stale sandbox' "$STATE/dockerd.log" 2>/dev/null || echo 0) stale sandboxes removed so far)"
    fi
    sleep 1
  done
}

start_engine() {
  if engine_answers; then
    log "engine: reusing the one that answers"
    return 0
  fi
  # A dockerd killed hard leaves its pid file behind and the next one refuses to start.
  if [ -f /var/run/docker.pid ] && ! pid_is "$(cat /var/run/docker.pid)" dockerd; then
    rm -f /var/run/docker.pid
  fi
  pgrep -x dockerd >/dev/null || reset_stale_network_store
  log "engine: starting dockerd (log: $STATE/dockerd.log)"
  # --bridge=none: these machines must never create bridge networks on private ranges.
  spawn_daemon "$STATE/dockerd.pid" "$STATE/dockerd.log" \
    dockerd --bridge=none --iptables=false --ip6tables=false
  wait_for_engine "$(cat "$STATE/dockerd.pid")"
}

# ---------------------------------------------------------------- qemu

qemu_aarch64_enabled() { grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; }

# Prints 1 if arm64 binaries can run through QEMU, else 0. Never fails the bed.
setup_qemu() {
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
      warn "cannot mount binfmt_misc; arm64 images will not run"
  fi
  if ! qemu_aarch64_enabled; then
    update-binfmts --enable >/dev/null 2>&1 || warn "update-binfmts --enable failed"
  fi
  if qemu_aarch64_enabled; then
    log "qemu: aarch64 binfmt enabled"
    echo 1
  else
    warn "qemu: aarch64 binfmt not available; arm64 tests will not run"
    echo 0
  fi
}

# ---------------------------------------------------------------- registries

http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" || true; }

write_registry_config() {
  local port=$1 config=$2 auth=$3
  mkdir -p "$STATE/registry-$port"
  {
    printf 'version: 0.1\nlog:\n  level: warn\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$STATE/registry-$port"
    printf 'http:\n  addr: 127.0.0.1:%s\n  secret: dt-testbed-%s\n' "$port" "$port"
    if [ "$auth" = auth ]; then
      printf 'auth:\n  htpasswd:\n    realm: dt-testbed\n    path: %s\n' "$STATE/htpasswd"
    fi
  } >"$config"
}

# Start a registry on PORT unless one already answers as expected.
# Expected: open registry -> 200 on /v2/; auth registry -> 401 anonymous, 200 with our user.
start_registry() {
  local port=$1 auth=$2 url="http://127.0.0.1:$1/v2/"
  if registry_ready "$port" "$auth"; then
    log "registry :$port: reusing the one that answers"
    return 0
  fi
  [ "$(http_code "$url")" = 000 ] ||
    die "127.0.0.1:$port is taken by something that is not the expected registry"
  if [ "$auth" = auth ]; then
    htpasswd -Bbc "$STATE/htpasswd" "$AUTH_USER" "$AUTH_PASSWORD" 2>/dev/null
  fi
  local config=$STATE/registry-$port.yml i
  write_registry_config "$port" "$config" "$auth"
  log "registry :$port: starting ($auth)"
  spawn_daemon "$STATE/registry-$port.pid" "$STATE/registry-$port.log" docker-registry serve "$config"
  for i in $(seq 1 50); do
    registry_ready "$port" "$auth" && return 0
    sleep 0.2
  done
  tail -n 20 "$STATE/registry-$port.log" >&2 || true
  die "registry on 127.0.0.1:$port did not come up; see $STATE/registry-$port.log"
}

registry_ready() {
  local port=$1 auth=$2 url="http://127.0.0.1:$1/v2/"
  if [ "$auth" = auth ]; then
    [ "$(http_code "$url")" = 401 ] && [ "$(http_code -u "$AUTH_USER:$AUTH_PASSWORD" "$url")" = 200 ]
  else
    [ "$(http_code "$url")" = 200 ]
  fi
}

# ---------------------------------------------------------------- images

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Path of the cached busybox-static .deb for ARCH in DIR, or nothing.
cached_deb() {
  local debs=("$1"/busybox-static_*_"$2".deb)
  [ -f "${debs[0]}" ] && echo "${debs[0]}"
}

# Fetch the busybox-static .deb for ARCH into the state dir (cached); prints its path.
fetch_busybox_deb() {
  local arch=$1 dir=$STATE/debs/$1
  mkdir -p "$dir"
  cached_deb "$dir" "$arch" && return 0
  if [ "$arch" = arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64 || return 1
    APT_UPDATED=0 # the arm64 lists only come with a fresh update
  fi
  # Lists may be missing on a fresh machine, or lack the arm64 ones: update once, retry.
  if ! (cd "$dir" && apt-get download "busybox-static:$arch" >"$LOGS/download-busybox-$arch.log" 2>&1); then
    apt_update_once
    (cd "$dir" && run_logged "download-busybox-$arch" apt-get download "busybox-static:$arch") || return 1
  fi
  cached_deb "$dir" "$arch"
}

busybox_dockerfile() {
  # /tmp is not part of busybox --install but nearly every tool expects it.
  cat <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp && chmod 1777 /tmp"]
EOF
}

# Build dt-test/NAME:KEY from busybox-static:ARCH; prints the image ref.
build_busybox() {
  local name=$1 arch=$2 key ref ctx deb
  key=$(recipe_key "busybox-static:$arch
$(busybox_dockerfile)")
  ref=dt-test/$name:$key
  if image_exists "$ref"; then
    log "image $ref: cached"
  else
    log "image $ref: building from busybox-static:$arch"
    deb=$(fetch_busybox_deb "$arch") || return 1
    ctx=$STATE/build/$name
    rm -rf "$ctx" && mkdir -p "$ctx/deb"
    # errexit is off inside $(...) || ..., hence the explicit checks.
    dpkg-deb -x "$deb" "$ctx/deb" && cp "$ctx/deb/bin/busybox" "$ctx/busybox" || return 1
    rm -rf "$ctx/deb"
    busybox_dockerfile >"$ctx/Dockerfile"
    run_logged "build-$name" docker build --platform "linux/$arch" -t "$ref" "$ctx" || return 1
    rm -rf "$ctx"
  fi
  docker tag "$ref" "dt-test/$name:latest" || return 1
  echo "$ref"
}

# The Debian mirror apt uses on this machine (debootstrap must use the same: it is the
# only one reachable). Reads both deb822 .sources and one-line .list formats.
debian_mirror() {
  local url
  url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
  if [ -z "$url" ]; then
    url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uri; exit } }')
  fi
  echo "${url:-http://deb.debian.org/debian}"
}

PYBASE_CHANGES=('ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'ENV LANG=C.UTF-8' 'CMD ["/bin/bash"]')

# Build dt-test/NAME:KEY by debootstrap with the packages INCLUDE; prints the image ref.
build_debian_base() {
  local name=$1 include=$2 key ref rootfs mirror change_args=() c
  # The mirror is left out of the key on purpose: any mirror yields the same image.
  key=$(recipe_key "debootstrap --variant=minbase --include=$include bookworm
${PYBASE_CHANGES[*]}")
  ref=dt-test/$name:$key
  if image_exists "$ref"; then
    log "image $ref: cached"
  else
    mirror=$(debian_mirror)
    rootfs=$STATE/build/$name-rootfs
    log "image $ref: debootstrap from $mirror (about 90 s)"
    rm -rf "$rootfs" && mkdir -p "$rootfs"
    run_logged "debootstrap-$name" debootstrap --variant=minbase --include="$include" \
      bookworm "$rootfs" "$mirror" || die "debootstrap of $name failed"
    # Leave nothing of the build machine's apt cache in the image.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    for c in "${PYBASE_CHANGES[@]}"; do change_args+=(--change "$c"); done
    log "image $ref: importing"
    tar -C "$rootfs" -c . | docker import "${change_args[@]}" - "$ref" >/dev/null ||
      die "docker import of the $name rootfs failed"
    rm -rf "$rootfs"
  fi
  docker tag "$ref" "dt-test/$name:latest" || return 1
  echo "$ref"
}

# ---------------------------------------------------------------- a second user

# Multi-user tests run dt as a second, non-root user that may use the engine (root never gets
# EPERM from kill(pid, 0) and can write anywhere, so it cannot show those faults).
OTHER_USER=dtother

# Prints the user's name once it exists and reaches the engine; nothing (and a warning) if not.
setup_other_user() {
  local socket group
  if ! id -u "$OTHER_USER" >/dev/null 2>&1; then
    log "user $OTHER_USER: creating"
    useradd --create-home --shell /bin/bash "$OTHER_USER" || { warn "useradd $OTHER_USER failed"; return 0; }
  fi
  socket=${DOCKER_HOST:-unix:///var/run/docker.sock}
  socket=${socket#unix://}
  if [ -S "$socket" ]; then
    group=$(stat -c %G "$socket")
    if [ "$group" != root ] && ! id -nG "$OTHER_USER" | tr ' ' '\n' | grep -qx "$group"; then
      log "user $OTHER_USER: adding to group $group (the engine socket's)"
      usermod -aG "$group" "$OTHER_USER"
    fi
  fi
  if setpriv --reuid="$OTHER_USER" --regid="$OTHER_USER" --init-groups -- docker info >/dev/null 2>&1; then
    echo "$OTHER_USER"
  else
    warn "user $OTHER_USER cannot reach the engine at $socket; the multi-user tests will fail"
  fi
}

# ---------------------------------------------------------------- outputs

json_string() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# Write env and testbed.json from the KEY=value pairs given; atomically, so a test
# starting meanwhile never reads half a file.
write_outputs() {
  local pair sep='' env_tmp=$STATE/env.tmp json_tmp=$STATE/testbed.json.tmp
  : >"$env_tmp"
  printf '{\n' >"$json_tmp"
  for pair in "$@"; do
    printf '%s\n' "$pair" >>"$env_tmp"
    printf '%s  %s: %s' "$sep" "$(json_string "${pair%%=*}")" "$(json_string "${pair#*=}")" >>"$json_tmp"
    sep=$',\n'
  done
  printf '\n}\n' >>"$json_tmp"
  mv "$env_tmp" "$STATE/env"
  mv "$json_tmp" "$STATE/testbed.json"
}

# ---------------------------------------------------------------- main

cmd_stop() {
  stop_recorded "$STATE/registry-$AUTH_REGISTRY_PORT.pid" docker-registry
  stop_recorded "$STATE/registry-$REGISTRY_PORT.pid" docker-registry
  stop_recorded "$STATE/dockerd.pid" dockerd
}

cmd_up() {
  local started=$SECONDS qemu busybox busybox_arm64='' pybase poetrybase other_user
  install_packages
  start_engine
  qemu=$(setup_qemu)
  start_registry "$REGISTRY_PORT" open
  start_registry "$AUTH_REGISTRY_PORT" auth
  busybox=$(build_busybox busybox amd64) || die "cannot build the busybox image"
  if [ "$qemu" = 1 ]; then
    busybox_arm64=$(build_busybox busybox-arm64 arm64) || { warn "no arm64 busybox image"; busybox_arm64=''; }
  fi
  pybase=$(build_debian_base pybase "$PYBASE_INCLUDE") || die "cannot build the pybase image"
  poetrybase=$(build_debian_base poetrybase "$POETRYBASE_INCLUDE") || die "cannot build the poetrybase image"
  other_user=$(setup_other_user)
  local outputs=(
    "DT_TESTBED_DIR=$STATE"
    "DT_TEST_REGISTRY=127.0.0.1:$REGISTRY_PORT"
    "DT_TEST_AUTH_REGISTRY=127.0.0.1:$AUTH_REGISTRY_PORT"
    "DT_TEST_AUTH_USER=$AUTH_USER"
    "DT_TEST_AUTH_PASSWORD=$AUTH_PASSWORD"
    "DT_TEST_BUSYBOX=$busybox"
    "DT_TEST_BUSYBOX_ARM64=$busybox_arm64"
    "DT_TEST_PYBASE=$pybase"
    "DT_TEST_POETRYBASE=$poetrybase"
    "DT_TEST_QEMU=$qemu"
    "DT_TEST_OTHER_USER=$other_user"
  )
  # Only when the engine is not on the default socket.
  [ -n "${DOCKER_HOST:-}" ] && outputs=("DOCKER_HOST=$DOCKER_HOST" "${outputs[@]}")
  write_outputs "${outputs[@]}"
  log "ready in $((SECONDS - started))s: $STATE/env"
}

main() {
  mkdir -p "$STATE" "$LOGS"
  # One bed at a time: a second run waits instead of racing on ports and builds, and says
  # so (a silent wait of minutes looks like a hang). Append, so opening does not wipe anything.
  exec 9>>"$STATE/lock"
  if ! flock -n 9; then
    local holder started=$SECONDS
    holder=$(cat "$STATE/lock.owner" 2>/dev/null || true)
    log "waiting for another testbed.sh run to finish${holder:+ ($holder)} (lock: $STATE/lock)"
    flock 9
    log "waited $((SECONDS - started)) s for the other testbed.sh run"
  fi
  printf 'pid %s, since %s\n' "$$" "$(date '+%H:%M:%S')" >"$STATE/lock.owner"
  case "${1:-up}" in
    up) cmd_up ;;
    stop) cmd_stop ;;
    *) die "usage: $0 [up|stop]" ;;
  esac
}

main "$@"
