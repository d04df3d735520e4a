#!/usr/bin/env bash
# install-deps.sh [run|test] - install the Debian 12 packages Sovereign needs.
# The one list of dependencies: run-sim.sh, tests/run-all.sh and .ci/run call
# this.  Needs root (or sudo).
#   run   what building and running the stack needs (compiler, cmake, the
#         -dev libraries, curl, ss): tools/setup/run-sim.sh, and building the
#         .deb (cpack: dpkg-dev's dpkg-shlibdeps, file);
#   test  (the default) run's, plus what the tests and benchmarks need.
# Waits for the dpkg lock (another apt, unattended-upgrades) up to 10 min.
set -euo pipefail

# What each is for (grep the tree before removing one).
RUN_PACKAGES=(
	build-essential cmake pkg-config dpkg-dev file
	liburcu-dev libnuma-dev libi2c-dev libmicrohttpd-dev zlib1g-dev
	libsystemd-dev libcjson-dev libinih-dev
	# tools/bmc: the IPMI 2.0 (lanplus) transport to BMCs
	libfreeipmi-dev
	# i2cdetect/i2cdump: finding the DIMM sensors and PMBus rails to configure
	i2c-tools
	# run-sim.sh: curl the exporter, ss names who holds a port, pkill/pgrep
	curl iproute2 procps util-linux
	# tools/redfish: the Redfish client library (HTTPS to BMCs, libcurl)
	libcurl4-openssl-dev
	# tools/fleet: the orchestrator's store (SQLite embedded, PostgreSQL for two)
	libsqlite3-dev libpq-dev
)
TEST_PACKAGES=(
	# unit tests (tests/), bench/ (GSL statistics; libcurl scrapes: run's)
	libcriterion-dev libgsl-dev
	# systemd-analyze verify (tests/deploy_verify.sh); the watchdog's private bus
	systemd dbus-daemon
	# fuzzers (tests/fuzz, run-all.sh's third build)
	clang libclang-rt-14-dev
	# promtool (tests/readers), the exporter tests and bindings, TLS keys, floods
	prometheus python3 openssl wrk
	# bench/: exporter_bench's peer, sampler_bench's cyclictest, the plots
	prometheus-node-exporter rt-tests gnuplot-nox
	# tests/packaging: the .deb is checked by lintian
	lintian
	# tests/docs: man --warnings, lexgrog and groff check the man pages
	man-db groff-base
	# tests/ipmi: ipmi_sim as the BMC, ipmitool as the independent client,
	# the lanserv headers for the rig's OEM plugin
	openipmi ipmitool libopenipmi-dev
	# tests/fleet_*: a throwaway PostgreSQL cluster (initdb, pg_ctl), a real
	# Alertmanager routing to the orchestrator's webhook
	postgresql prometheus-alertmanager
	# tests/monitoring: the test copies of the shipped Prometheus and
	# Alertmanager configuration (amtool comes with prometheus-alertmanager)
	python3-yaml
)

set_name=${1:-test}
case $set_name in
run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
test) PACKAGES=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
*)
	echo "usage: install-deps.sh [run|test]" >&2
	exit 2
	;;
esac

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
# Another apt or unattended-upgrades holding the lock: wait for it (dpkg's
# lock-frontend), up to 10 minutes, instead of failing at once.
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600)
# A Debian package starts its service when installed: prometheus would take
# :9090 and prometheus-node-exporter :9100, the port of the demo's exporter.
# The tests start their own instances on free ports (bench/exporter_bench) and
# need no service: a policy-rc.d forbids every start during this install (one
# already there, e.g. a container's, is left as it is), and the services are
# disabled afterwards, so that no reboot starts them either.
# (SOVEREIGN_POLICY_RC_D: another path, for tests/setup/test_install_deps.py)
policy=${SOVEREIGN_POLICY_RC_D:-/usr/sbin/policy-rc.d}
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# install-deps.sh: start no service while it installs\nexit 101\n' |
		"${SUDO[@]}" tee "$policy" >/dev/null
	"${SUDO[@]}" chmod 0755 "$policy"
	made_policy=1
	trap '"${SUDO[@]}" rm -f "$policy"' EXIT
fi
# apt-get update's own lock (/var/lib/apt/lists/lock) knows no timeout:
# retried every 5 s for up to 10 minutes while another apt holds it.
for ((i = 0; ; i++)); do
	if out=$("${APT[@]}" update -qq 2>&1); then
		break
	fi
	if [ "$i" -ge 120 ] || ! grep -qi 'lock' <<<"$out"; then
		echo "$out" >&2
		exit 1
	fi
	[ "$i" -gt 0 ] || echo "install-deps: apt-get update waits for another apt's lock" >&2
	sleep 5
done
"${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
for p in "${missing[@]}"; do
	case $p in
	prometheus | prometheus-node-exporter | prometheus-alertmanager | postgresql)
		# disable works without a running systemd (a container); --now
		# only with one.
		if [ -d /run/systemd/system ]; then
			"${SUDO[@]}" systemctl disable --now "$p.service" 2>/dev/null || true
		else
			"${SUDO[@]}" systemctl disable "$p.service" 2>/dev/null || true
		fi
		echo "install-deps: $p installed for the tests only: its service is not started nor enabled"
		;;
	esac
done
if [ -n "$made_policy" ]; then
	"${SUDO[@]}" rm -f "$policy"
	trap - EXIT
fi
