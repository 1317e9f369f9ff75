#!/bin/sh
# dt installer: downloads one binary for this OS/arch, verifies its SHA-256 against the
# release's SHA256SUMS, and puts it in a directory on PATH. POSIX sh; run it with
#   curl -fsSL https://github.com/dt-dev/dt/releases/latest/download/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --version 1.2.0 --prefix /usr/local/bin
# It never edits shell rc files: it prints the line to add instead.
set -eu

RELEASES_URL="https://github.com/dt-dev/dt/releases"

usage() {
	cat <<EOF
Install dt, the development toolchain, as a single binary.

usage: install.sh [--version VERSION] [--prefix DIR] [--help]

  --version VERSION  install this release (e.g. 1.2.0 or v1.2.0) instead of the latest
  --prefix DIR       directory to install dt into (default: ~/.local/bin; created if missing)
  -h, --help         show this help

Environment (flags win over variables):
  DT_VERSION       same as --version
  DT_INSTALL_DIR   same as --prefix
  DT_DOWNLOAD_URL  base URL holding dt-OS-ARCH and SHA256SUMS: a mirror, or
                   file:///path/to/dist; it overrides the version's URL. Default:
                     $RELEASES_URL/latest/download
                     $RELEASES_URL/download/vVERSION  (with a version)
  DT_OS            override the detected OS (linux, darwin), for testing
  DT_ARCH          override the detected architecture (x64, arm64), for testing

The download is refused, and nothing is installed, if its checksum does not match.
EOF
}

say() { printf '%s\n' "$*"; }
# die MESSAGE [HINT]: what went wrong, then what to do about it.
die() {
	printf 'error: %s\n' "$1" >&2
	if [ $# -gt 1 ]; then printf '  %s\n' "$2" >&2; fi
	exit 1
}
has() { command -v "$1" >/dev/null 2>&1; }

# --- arguments ----------------------------------------------------------------------------
version=${DT_VERSION:-}
install_dir=${DT_INSTALL_DIR:-}
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--version | --prefix)
		[ $# -ge 2 ] || { printf 'error: %s needs a value (see --help)\n' "$1" >&2; exit 2; }
		if [ "$1" = --version ]; then version=$2; else install_dir=$2; fi
		shift 2 ;;
	--version=*) version=${1#*=}; shift ;;
	--prefix=*) install_dir=${1#*=}; shift ;;
	*) printf 'error: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
	esac
done

# --- platform -----------------------------------------------------------------------------
# norm_os / norm_arch: uname's words (or ours) -> the names of the release files; "" if none.
norm_os() {
	case $1 in
	Linux | linux) echo linux ;;
	Darwin | darwin | macos) echo darwin ;;
	*) echo '' ;;
	esac
}
norm_arch() {
	case $1 in
	x86_64 | amd64 | x64) echo x64 ;;
	aarch64 | arm64) echo arm64 ;;
	*) echo '' ;;
	esac
}

host_os=$(uname -s)
host_arch=$(uname -m)
# A shell under Rosetta reports x86_64 on Apple silicon: the native binary is the better one.
if [ "$host_os" = Darwin ] && [ "$host_arch" = x86_64 ] &&
	[ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
	host_arch=arm64
fi

raw_os=${DT_OS:-$host_os}
os=$(norm_os "$raw_os")
if [ -z "$os" ]; then
	case $raw_os in
	MINGW* | MSYS* | CYGWIN* | Windows*)
		die "dt has no Windows build (OS: $raw_os)" "Run this installer inside WSL instead." ;;
	*) die "dt has no build for the OS \"$raw_os\"" "Supported: Linux and macOS (Darwin), on x86_64 and arm64." ;;
	esac
fi
raw_arch=${DT_ARCH:-$host_arch}
arch=$(norm_arch "$raw_arch")
[ -n "$arch" ] || die "dt has no build for the architecture \"$raw_arch\" on $os" \
	"Supported: x86_64 (amd64) and arm64 (aarch64)."

# DT_OS/DT_ARCH may name another platform: then the binary is installed but can't be run here.
native=no
if [ "$os-$arch" = "$(norm_os "$host_os")-$(norm_arch "$host_arch")" ]; then native=yes; fi

asset="dt-$os-$arch"

# --- where from, where to -----------------------------------------------------------------
version=${version#v}
if [ -n "${DT_DOWNLOAD_URL:-}" ]; then
	base_url=${DT_DOWNLOAD_URL%/}
elif [ -z "$version" ] || [ "$version" = latest ]; then
	base_url="$RELEASES_URL/latest/download"
else
	base_url="$RELEASES_URL/download/v$version"
fi

if [ -z "$install_dir" ]; then
	[ -n "${HOME:-}" ] || die "HOME is not set, so there is no default install directory" \
		"Pass --prefix DIR (or set DT_INSTALL_DIR)."
	install_dir="$HOME/.local/bin"
fi
# A quoted "~/bin" reaches us unexpanded.
# shellcheck disable=SC2088
case $install_dir in
"~") install_dir=$HOME ;;
"~/"*) install_dir="$HOME/${install_dir#"~/"}" ;;
esac
case $install_dir in
/*) ;;
*) install_dir="$(pwd)/$install_dir" ;;
esac
install_dir=${install_dir%/}
[ -n "$install_dir" ] || install_dir=/

# --- cleanup: nothing is left behind, whatever happens ------------------------------------
tmp_dir=''
tmp_target=''
cleanup() {
	if [ -n "$tmp_target" ]; then rm -f "$tmp_target"; fi
	if [ -n "$tmp_dir" ]; then rm -rf "$tmp_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

tmp_dir=$(mktemp -d 2>/dev/null || mktemp -d -t dt-install) ||
	die "could not create a temporary directory" "Check that \$TMPDIR (${TMPDIR:-/tmp}) exists and is writable."

# --- download -----------------------------------------------------------------------------
# fetch URL DEST: curl (which also reads file://), else wget, else cp for file:// URLs.
fetch() {
	case $1 in file://*) file_path=${1#file://} file_path=${file_path#localhost} ;; *) file_path='' ;; esac
	if has curl; then
		# A progress bar for the large binary when someone is watching; quiet otherwise.
		if [ -t 2 ] && [ "${3:-}" = progress ]; then
			curl -fL --progress-bar -o "$2" "$1"
		else
			curl -fsSL -o "$2" "$1"
		fi
	elif [ -n "$file_path" ]; then
		cp "$file_path" "$2"
	elif has wget; then
		wget -q -O "$2" "$1"
	else
		die "neither curl nor wget is installed, so $1 can't be downloaded" \
			"Install curl (or wget) and run this installer again."
	fi
}

url="$base_url/$asset"
say "Downloading $url"
fetch "$url" "$tmp_dir/$asset" progress ||
	die "could not download $url" \
		"Check that release ${version:-latest} has a build for $os-$arch and that the URL is reachable (DT_DOWNLOAD_URL, --version)."
fetch "$base_url/SHA256SUMS" "$tmp_dir/SHA256SUMS" ||
	die "could not download $base_url/SHA256SUMS, so $asset can't be verified" \
		"Check that the release at $base_url is complete; dt is only installed when its checksum can be checked."

# --- verify -------------------------------------------------------------------------------
# sha256sum format: "HASH  NAME" (or "HASH *NAME" in binary mode).
expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$tmp_dir/SHA256SUMS")
case $expected in
"" | *[!0-9a-f]*)
	die "checksum refused: SHA256SUMS from $base_url has no valid entry for $asset" \
		"The release looks incomplete or damaged; nothing was installed. Try again later or pick another version (--version)." ;;
esac
[ ${#expected} -eq 64 ] ||
	die "checksum refused: the SHA256SUMS entry for $asset is not a SHA-256 hash" \
		"The release looks damaged; nothing was installed. Try again later or pick another version (--version)."

if has sha256sum; then
	actual=$(sha256sum "$tmp_dir/$asset" | awk '{ print $1 }')
elif has shasum; then
	actual=$(shasum -a 256 "$tmp_dir/$asset" | awk '{ print $1 }')
else
	die "neither sha256sum nor shasum is installed, so the download can't be verified" \
		"Install coreutils (sha256sum) or perl (shasum) and run this installer again."
fi
[ "$actual" = "$expected" ] ||
	die "checksum mismatch for $asset: expected $expected, got $actual" \
		"The download is damaged or was tampered with; nothing was installed. Run the installer again; if it keeps failing, report it."
say "Verified SHA-256 of $asset"

# --- install: a temp file beside the target, then one rename ------------------------------
mkdir -p "$install_dir" || die "could not create $install_dir" \
	"Pick a directory you can write to with --prefix DIR (or DT_INSTALL_DIR)."
tmp_target="$install_dir/.dt.install.$$"
{ cp "$tmp_dir/$asset" "$tmp_target" && chmod 755 "$tmp_target"; } ||
	die "could not write to $install_dir" "Pick a directory you can write to with --prefix DIR (or DT_INSTALL_DIR)."

# Run it before it replaces anything, so a dt that can't start here never displaces a working one.
installed_version=''
if [ "$native" = yes ]; then
	installed_version=$("$tmp_target" --version 2>&1) ||
		die "the downloaded dt does not run on this machine: ${installed_version:-no output}" \
			"Nothing was installed. On Linux, dt needs glibc (Alpine/musl is not supported); check DT_OS/DT_ARCH."
fi

mv -f "$tmp_target" "$install_dir/dt" || die "could not move dt into $install_dir" \
	"Check the permissions of $install_dir, or pick another one with --prefix DIR."
tmp_target=''

say "Installed dt to $install_dir/dt"
if [ -n "$installed_version" ]; then
	say "dt --version: $installed_version"
	case $version in
	"" | latest) ;;
	*) case $installed_version in *"$version"*) ;; *) say "Warning: asked for version $version but this dt reports \"$installed_version\"." ;; esac ;;
	esac
else
	say "Not run: built for $os-$arch, which is not this machine."
fi

# --- PATH ---------------------------------------------------------------------------------
case ":${PATH:-}:" in
*":$install_dir:"*)
	found=$(command -v dt 2>/dev/null || true)
	if [ -n "$found" ] && [ "$found" != "$install_dir/dt" ]; then
		say "Note: $found comes earlier on PATH than $install_dir/dt; remove it or reorder PATH."
	fi ;;
*)
	shown=$install_dir
	case $install_dir in "${HOME:-/nonexistent}"/*) shown="\$HOME/${install_dir#"$HOME"/}" ;; esac
	say ""
	say "$install_dir is not on your PATH. To add it:"
	login_shell=$(basename "${SHELL:-sh}")
	if [ "$login_shell" = fish ]; then
		# fish_add_path keeps the dir in a universal variable: this fish and every later one.
		say "  fish_add_path \"$shown\""
		say "(fish keeps it: this shell and every new one have it at once)."
	else
		# shellcheck disable=SC2088 # printed for the user, not expanded here
		case $login_shell in
		zsh) rc='~/.zshrc' ;;
		bash) if [ "$os" = darwin ]; then rc='~/.bash_profile'; else rc='~/.bashrc'; fi ;;
		*) rc='~/.profile' ;;
		esac
		say "  echo 'export PATH=\"$shown:\$PATH\"' >> $rc"
		say "then open a new shell (or run: export PATH=\"$shown:\$PATH\")."
	fi ;;
esac
