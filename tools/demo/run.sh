#!/usr/bin/env bash
# run.sh - the README's run command: install, build, and start the stack on
# the simulated server.  Until the sampler (rt/) and exporter (readers/)
# land, the stack is sovereign-demo publishing a simulated server into the
# segment, read back by sovereign-dump.  Stop it with: kill $(cat build/sovereign-demo.pid)
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/setup/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

if [ -f build/sovereign-demo.pid ] && kill -0 "$(cat build/sovereign-demo.pid)" 2>/dev/null; then
	echo "run: sovereign-demo already running (pid $(cat build/sovereign-demo.pid))"
else
	nohup build/tools/demo/sovereign-demo --period-ms 1000 >build/sovereign-demo.log 2>&1 &
	echo $! >build/sovereign-demo.pid
	echo "run: started sovereign-demo (pid $!, log build/sovereign-demo.log)"
fi
sleep 2
build/tools/dump/sovereign-dump
echo
echo "run: follow it live with: build/tools/dump/sovereign-dump --follow"
