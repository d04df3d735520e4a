#!/usr/bin/env bash
# deploy_verify.sh BIN UNIT [LINE...] - systemd-analyze verify a shipped unit
# with its ExecStart pointing at the built binary BIN; any complaint fails,
# and so does a missing LINE (a setting the unit must keep, e.g. its
# capability bounding set).
set -euo pipefail
bin=$1 unit=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy="$tmp/$(basename "$unit")"
# ExecStart, and any other Exec line running the same program (the fan's
# ExecStopPost=... --failsafe), point at the built binary.
sed -e "s|^ExecStart=[^ ]*|ExecStart=$bin|" \
    -e "s#^\(Exec[A-Za-z]*=\)[^ ]*/$(basename "$bin")\( \|\$\)#\1$bin\2#" "$unit" >"$copy"
# Documentation=man:PAGE(N) is checked with man(1): the repository's pages,
# laid out as a manual tree (manN/PAGE.N), are the ones it must find.
man_src=$(cd "$(dirname "$0")/../man" && pwd)
for page in "$man_src"/*.[0-9]; do
	sect=${page##*.}
	mkdir -p "$tmp/man/man$sect"
	ln -s "$page" "$tmp/man/man$sect/"
done
out=$(MANPATH="$tmp/man" systemd-analyze verify "$copy" 2>&1 || true)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
for line in "$@"; do
	grep -qxF -- "$line" "$copy" || { echo "$(basename "$unit"): missing '$line'"; exit 1; }
done
echo "unit verified: $(basename "$unit")"
