#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fake-modprobe.sh - modprobe for tests/bmc_inband: the test links it as
# <root>/modprobe, so <root> is this link's directory.  Appends its argv to
# <root>/modprobe.log, its environment to <root>/modprobe.env and what its
# stdin is to <root>/modprobe.stdin; "-r <m>" moves <m>'s line from
# <root>/proc/modules to <root>/modprobe.removed, "<m>" puts it back on top
# (or a new line).  Fails (exit 1, message on stderr) for a module listed in
# <root>/modprobe.fail; "succeeds" without removing one listed in
# <root>/modprobe.keep.
root=$(dirname "$0")
echo "$*" >> "$root/modprobe.log"
env | sort > "$root/modprobe.env"
readlink /proc/self/fd/0 > "$root/modprobe.stdin"
remove=0
if [ "$1" = "-r" ]; then
	remove=1
	shift
fi
m=$1
if [ -f "$root/modprobe.fail" ] && grep -qx -- "$m" "$root/modprobe.fail"; then
	echo "modprobe: FATAL: Module $m is in use." >&2
	echo "second line that must not be reported" >&2
	exit 1
fi
if [ -f "$root/modprobe.keep" ] && grep -qx -- "$m" "$root/modprobe.keep"; then
	exit 0
fi
mods="$root/proc/modules"
if [ "$remove" = 1 ]; then
	grep -- "^$m " "$mods" >> "$root/modprobe.removed" || true
	grep -v -- "^$m " "$mods" > "$mods.new" || true
	mv "$mods.new" "$mods"
else
	line=$(grep -- "^$m " "$root/modprobe.removed" 2>/dev/null | tail -n 1)
	[ -n "$line" ] || line="$m 16384 0 - Live 0x0000000000000000"
	{ echo "$line"; cat "$mods"; } > "$mods.new"
	mv "$mods.new" "$mods"
fi
exit 0
