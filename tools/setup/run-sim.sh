#!/usr/bin/env bash
# run-sim.sh - the README's run command: install, build, and start the stack
# on the simulated server: sovereign-sim keeps a fixture sysfs/MSR tree alive
# (build/sim-tree), sovereign-sampler reads it with its production backends
# into the segment /sovereign, sovereign-exporter serves it on :9100, and
# sovereign-dump shows what a reader sees.  Without systemd there is no
# /run/sovereign (RuntimeDirectory= of the units): the segment lives in
# build/run instead ($SOVEREIGN_RUN_DIR, read by every program of the stack).
#
#   tools/setup/run-sim.sh [--no-install] [--no-build]   start it
#   tools/setup/run-sim.sh stop                          stop it
#
# start: install-deps.sh run (what building and running needs; waits for the
# dpkg lock), build with -DSOV_TESTS=OFF, check that the exporter's port is
# free (if not: who holds it, and exit 1), start the three programs and wait
# until each is ready.  If one fails, say which and why, print its log, stop
# what was started and exit 1.
# stop: SIGTERM, wait up to 5 s for each to exit (then SIGKILL), remove the
# segment with its lock file, the run directory if empty, the sim tree and
# its config.  The logs (STATE/sovereign-*.log) stay.
#
# Environment:
#   SOVEREIGN_PORT=N          the exporter's port on 127.0.0.1 (9100)
#   SOVEREIGN_BUILD_DIR=DIR   the build tree with the programs (build)
#   SOVEREIGN_STATE_DIR=DIR   pid files, logs, sim tree, config (the build tree)
#   SOVEREIGN_RUN_DIR=DIR     the segment's directory (STATE/run)
#   SOVEREIGN_SKIP_DEPS=1     as --no-install: no apt (the tests use it)
#   SOVEREIGN_SKIP_BUILD=1    as --no-build: use the programs already built
#   SOVEREIGN_PORT_CHECK=0    (tests) skip the port check: the exporter's own
#                             bind failure is then the start failure handled
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

build=$(realpath -m "${SOVEREIGN_BUILD_DIR:-build}")
state=$(realpath -m "${SOVEREIGN_STATE_DIR:-$build}")
port=${SOVEREIGN_PORT:-9100}
export SOVEREIGN_RUN_DIR=${SOVEREIGN_RUN_DIR:-$state/run}
tree=$state/sim-tree
skip_deps=${SOVEREIGN_SKIP_DEPS:-}
skip_build=${SOVEREIGN_SKIP_BUILD:-}
action=start
for a in "$@"; do
	case $a in
	stop) action=stop ;;
	--no-install) skip_deps=1 ;;
	--no-build) skip_build=1 ;;
	*)
		echo "usage: run-sim.sh [--no-install] [--no-build] | stop" >&2
		exit 2
		;;
	esac
done
case $port in
'' | *[!0-9]*)
	echo "run-sim: SOVEREIGN_PORT='$port' is not a port number" >&2
	exit 2
	;;
esac

say() { echo "run-sim: $*"; }
fail() { echo "run-sim: $*" >&2; }

# prog_pid NAME: the pid recorded for sovereign-NAME if that process is still
# the one started (its command line names the program: a pid reused by
# another process is not ours to signal).
prog_pid() {
	local f="$state/sovereign-$1.pid" pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "sovereign-$1" || return 1
	echo "$pid"
}

# running PID: the process exists and is no zombie (a child of this shell
# that exited stays a zombie until reaped: kill -0 still finds it).
running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# stop_all: every program this script started, the exporter first; each gets
# 5 s to exit after SIGTERM, then SIGKILL.  Then what the run left behind.
stop_all() {
	local p pid
	for p in exporter sampler sim; do
		if pid=$(prog_pid "$p"); then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 50); do
				running "$pid" || break
				sleep 0.1
			done
			if running "$pid"; then
				fail "sovereign-$p (pid $pid) still running 5 s after SIGTERM: SIGKILL"
				kill -KILL "$pid" 2>/dev/null || true
				for _ in $(seq 50); do
					running "$pid" || break
					sleep 0.1
				done
			fi
		fi
		rm -f "$state/sovereign-$p.pid"
	done
	# The segment and the writer's lock file beside it (shm/: ".NAME.lock").
	rm -f "$SOVEREIGN_RUN_DIR/sovereign" "$SOVEREIGN_RUN_DIR/.sovereign.lock"
	rmdir "$SOVEREIGN_RUN_DIR" 2>/dev/null || true
	rm -rf "$tree" "$state/sampler.conf"
}

# holder PORT: who listens on 127.0.0.1:PORT or every address (ss -ltnp),
# empty when nobody does.
holder() {
	ss -Hltnp "( sport = :$1 )" 2>/dev/null | awk '{ $1 = $2 = $3 = ""; print }' | sed 's/^ *//'
}

# alive NAME: sovereign-NAME, started by this run of the script, is running
# (its pid file is this run's: no cmdline check, which a process in the
# middle of nohup's exec could fail).
alive() {
	local pid
	pid=$(cat "$state/sovereign-$1.pid" 2>/dev/null) && running "$pid"
}

# give_up NAME WHY: say what failed, show its log, stop everything, exit 1.
give_up() {
	local log="$state/sovereign-$1.log"
	fail "sovereign-$1 failed: $2"
	if [ -s "$log" ]; then
		fail "--- $log (last 40 lines) ---"
		tail -n 40 "$log" >&2
		fail "---"
	fi
	trap - EXIT
	stop_all
	fail "stopped what was started; nothing is left running"
	exit 1
}

# wait_ready NAME SECONDS CMD...: poll CMD until it succeeds; the program
# dying or SECONDS passing is a failure.
wait_ready() {
	local name=$1 secs=$2 end
	shift 2
	end=$((SECONDS + secs))
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		alive sim || give_up sim "it exited (the sampler's tree is no longer updated)"
		if ! alive "$name"; then
			# Gone or a zombie: wait reaps it at once and gives its status.
			local rc=0
			wait "$(cat "$state/sovereign-$name.pid")" 2>/dev/null || rc=$?
			give_up "$name" "it exited (status $rc) before it was ready"
		fi
		sleep 0.1
	done
	give_up "$name" "not ready after ${secs} s"
}

# start NAME CMD...: start CMD in the background, its pid in STATE.
start() {
	local name=$1
	shift
	nohup "$@" >"$state/sovereign-$name.log" 2>&1 &
	echo $! >"$state/sovereign-$name.pid"
}

metrics_up() {
	curl -sf --max-time 2 "http://127.0.0.1:$port/metrics" | grep -q '^sovereign_up 1'
}

if [ "$action" = stop ]; then
	stop_all
	say "stopped"
	exit 0
fi

if [ -z "$skip_deps" ]; then
	tools/setup/install-deps.sh run
fi
if [ -z "$skip_build" ]; then
	# The programs only: the tests and benchmarks need install-deps.sh test.
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOV_TESTS=OFF
	cmake --build "$build" -j"$(nproc)"
fi
for b in tools/sim/sovereign-sim rt/sovereign-sampler readers/exporter/sovereign-exporter \
	tools/dump/sovereign-dump; do
	[ -x "$build/$b" ] || { fail "$build/$b is not built"; exit 1; }
done
mkdir -p "$state"
stop_all

# The exporter's port first: a clash found now costs nothing to undo.
who=
[ "${SOVEREIGN_PORT_CHECK:-1}" = 0 ] || who=$(holder "$port")
if [ -n "$who" ]; then
	fail "port $port is taken, the exporter cannot listen on 127.0.0.1:$port: $who"
	if grep -q 'node_exporter\|prometheus-node' <<<"$who"; then
		fail "that is Prometheus's node_exporter (prometheus-node-exporter, installed for the benchmarks):"
		fail "  systemctl disable --now prometheus-node-exporter   (or: SOVEREIGN_PORT=9101 $0)"
	else
		fail "stop it, or choose another port: SOVEREIGN_PORT=9101 $0"
	fi
	exit 1
fi

# From here on, anything failing stops what was started.
trap 'rc=$?; if [ $rc -ne 0 ]; then fail "start failed (status $rc): stopping"; stop_all; fi' EXIT

# A fresh tree each time: the sim refuses a folder that is not its own.
"$build/tools/sim/sovereign-sim" --root "$tree" --print-config >"$state/sampler.conf"
"$build/tools/sim/sovereign-sim" --root "$tree" --once --quiet
start sim "$build/tools/sim/sovereign-sim" --root "$tree" --profile sine
start sampler "$build/rt/sovereign-sampler" -c "$state/sampler.conf"
wait_ready sampler 20 "$build/tools/dump/sovereign-dump" --no-events
alive sim || give_up sim "it exited"
# Loopback for a demo; production uses the unit in tools/deploy.
start exporter "$build/readers/exporter/sovereign-exporter" --listen "127.0.0.1:$port"
wait_ready exporter 20 metrics_up
trap - EXIT
say "sovereign-sim, sovereign-sampler and sovereign-exporter started; logs in $state/"
"$build/tools/dump/sovereign-dump" || true
echo
say "curl localhost:$port/metrics"
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | grep -E '^sovereign_(up|cpu_temp_celsius|fan_rpm)' | head -8 || true
echo
say "the segment: $SOVEREIGN_RUN_DIR/sovereign"
say "follow it live: SOVEREIGN_RUN_DIR=$SOVEREIGN_RUN_DIR $build/tools/dump/sovereign-dump --follow"
say "drive a fan as the actuator will: echo 1 > $tree/sys/class/hwmon/hwmonN/pwm1_enable"
say "stop it: tools/setup/run-sim.sh stop"
