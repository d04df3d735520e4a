#!/usr/bin/env bash
# deploy_verify.sh SAMPLER_BIN UNIT - systemd-analyze verify the sampler's unit
# with its ExecStart pointing at the built binary; any complaint fails.
set -euo pipefail
bin=$1 unit=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$unit" >"$tmp/sovereign-sampler.service"
out=$(systemd-analyze verify "$tmp/sovereign-sampler.service" 2>&1 || true)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
grep -q '^Type=notify' "$tmp/sovereign-sampler.service"
grep -q '^CapabilityBoundingSet=CAP_SYS_RAWIO CAP_SYS_NICE CAP_IPC_LOCK$' "$tmp/sovereign-sampler.service"
echo "unit verified: $(basename "$unit")"
