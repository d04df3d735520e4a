#!/usr/bin/env bash
# run-sim.sh - the README's run command: install, build, and start the stack
# on the simulated server: sovereign-sim keeps a fixture sysfs/MSR tree alive
# (build/sim-tree), sovereign-sampler reads it with its production backends
# into the segment /sovereign, sovereign-exporter serves it on :9100, and
# sovereign-dump shows what a reader sees.  Without systemd there is no
# /run/sovereign (RuntimeDirectory= of the units): the segment lives in
# build/run instead ($SOVEREIGN_RUN_DIR, read by every program of the stack).
# Stop it with: tools/setup/run-sim.sh stop
set -euo pipefail
cd "$(dirname "$0")/../.."

stop() {
	for p in exporter sampler sim; do
		if [ -f "build/sovereign-$p.pid" ]; then
			kill "$(cat "build/sovereign-$p.pid")" 2>/dev/null || true
			rm -f "build/sovereign-$p.pid"
		fi
	done
}
if [ "${1:-}" = stop ]; then
	stop
	echo "run-sim: stopped"
	exit 0
fi

tools/setup/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
stop

tree=$PWD/build/sim-tree
export SOVEREIGN_RUN_DIR=${SOVEREIGN_RUN_DIR:-$PWD/build/run}
# A fresh tree each time: the sim refuses a folder that is not its own.
rm -rf "$tree"
build/tools/sim/sovereign-sim --root "$tree" --print-config >build/sampler.conf
build/tools/sim/sovereign-sim --root "$tree" --once --quiet
nohup build/tools/sim/sovereign-sim --root "$tree" --profile sine >build/sovereign-sim.log 2>&1 &
echo $! >build/sovereign-sim.pid
nohup build/rt/sovereign-sampler -c build/sampler.conf >build/sovereign-sampler.log 2>&1 &
echo $! >build/sovereign-sampler.pid
# Loopback by default for a demo; production uses the unit in tools/deploy.
nohup build/readers/exporter/sovereign-exporter --listen 127.0.0.1:9100 >build/sovereign-exporter.log 2>&1 &
echo $! >build/sovereign-exporter.pid
echo "run-sim: sovereign-sim, sovereign-sampler and sovereign-exporter started; logs in build/"
for _ in $(seq 50); do
	build/tools/dump/sovereign-dump --no-events >/dev/null 2>&1 && break
	sleep 0.1
done
build/tools/dump/sovereign-dump
echo
for _ in $(seq 50); do
	curl -sf http://127.0.0.1:9100/metrics | grep -q '^sovereign_up 1' && break
	sleep 0.1
done
echo "run-sim: curl localhost:9100/metrics"
curl -s http://127.0.0.1:9100/metrics | grep -E '^sovereign_(up|cpu_temp_celsius|fan_rpm)' | head -8
echo
echo "run-sim: the segment: $SOVEREIGN_RUN_DIR/sovereign"
echo "run-sim: follow it live: SOVEREIGN_RUN_DIR=$SOVEREIGN_RUN_DIR build/tools/dump/sovereign-dump --follow"
echo "run-sim: drive a fan as the actuator will: echo 1 > $tree/sys/class/hwmon/hwmonN/pwm1_enable"
echo "run-sim: stop it: tools/setup/run-sim.sh stop"
