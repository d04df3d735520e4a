#!/bin/sh
# chassis.sh STATEDIR get|set ... - ipmi_sim's chassis_control program for
# the IPMI test rig (lanserv/ipmi_sim_chassiscontrol protocol):
#   chassis.sh DIR get power            prints power:0|1
#   chassis.sh DIR set power 0|1 ...    stores it; other set items accepted
# The power state lives in DIR/power (0 when absent).
dir=$1
op=$2
shift 2
case $op in
get)
	for item; do
		case $item in
		power) printf 'power:%s\n' "$(cat "$dir/power" 2>/dev/null || echo 0)" ;;
		esac
	done
	;;
set)
	while [ $# -ge 2 ]; do
		case $1 in
		power) printf '%s\n' "$2" >"$dir/power" ;;
		esac
		shift 2
	done
	;;
esac
exit 0
