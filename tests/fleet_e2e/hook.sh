#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hook.sh ACTION ID DIR - the fleet_e2e test's drain, undrain, bmc_wake and
# bmc_standby hook (fleet.conf runs it without a shell: an absolute path and
# its arguments).  Appends "ACTION ID TIME" to DIR/hooks.log.  The node's
# inference process is a stand-in ("sleep", its pid in DIR/ID/inference.pid,
# the file sovereign-watchdog watches): drain stops it, so that the exporter's
# sovereign_inference_active falls to 0; undrain starts a new one unless one
# runs.  Both are idempotent, as fleet.conf(5) asks of hooks.  HOOK_SLEEP
# (seconds, from the orchestrator's environment) makes each call last longer.
set -eu
action=$1 id=$2 dir=$3
pidfile=$dir/$id/inference.pid
echo "$action $id $(date +%s.%N)" >>"$dir/hooks.log"
running() {
	[ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null &&
		! grep -q '^State:.*Z' "/proc/$(cat "$pidfile")/status" 2>/dev/null
}
case $action in
drain)
	if [ -s "$pidfile" ]; then
		kill "$(cat "$pidfile")" 2>/dev/null || true
	fi
	;;
undrain)
	if ! running; then
		setsid sleep 900 </dev/null >/dev/null 2>&1 &
		echo $! >"$pidfile.tmp"
		mv "$pidfile.tmp" "$pidfile"
	fi
	;;
bmc_wake | bmc_standby) ;;
*)
	echo "hook.sh: unknown action $action" >&2
	exit 2
	;;
esac
sleep "${HOOK_SLEEP:-0}"
