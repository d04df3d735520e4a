#!/usr/bin/env bash
# install-deps.sh - install the Debian 12 packages Sovereign builds, runs and
# tests with.  The one list of dependencies: the README's commands and
# .ci/run call this.  Needs root (or sudo).
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config
	liburcu-dev libnuma-dev libi2c-dev i2c-tools
	libcriterion-dev libmicrohttpd-dev libsystemd-dev libcjson-dev libinih-dev
	libcurl4-openssl-dev libgsl-dev
	curl procps util-linux systemd dbus-daemon
	clang libclang-rt-14-dev
	prometheus python3 wrk openssl
	prometheus-node-exporter rt-tests gnuplot-nox
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root (no sudo here)" >&2; exit 1; }
	SUDO=(sudo)
fi

# The segment's group (mode 0640): readers of the segment join it.
if ! getent group sovereign >/dev/null; then
	"${SUDO[@]}" groupadd --system sovereign
	echo "install-deps: created group sovereign"
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
