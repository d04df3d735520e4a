#!/usr/bin/env bash
# verify_unit.sh EXPORTER_BIN UNIT - systemd-analyze verify the exporter's
# unit with ExecStart pointing at the built binary; any complaint fails.
set -euo pipefail
bin=$1 unit=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$unit" >"$tmp/sovereign-exporter.service"
out=$(systemd-analyze verify "$tmp/sovereign-exporter.service" 2>&1 || true)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
grep -q '^DynamicUser=yes' "$tmp/sovereign-exporter.service"
grep -q '^SupplementaryGroups=sovereign' "$tmp/sovereign-exporter.service"
echo "unit verified: $(basename "$unit")"
