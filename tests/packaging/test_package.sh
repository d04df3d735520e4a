#!/usr/bin/env bash
# test_package.sh BUILD SRC - the .deb of cmake/Packaging.cmake: cpack -G DEB
# in BUILD (already built), then the package unpacked (dpkg-deb -x, -e) and
# checked: every program, library, header, unit, config and man page where
# it belongs, with its mode and owner (sovereign-bmc and sovereign-setup
# included); units running the package's /usr/sbin programs; /etc/sovereign
# (bmc.conf included) as conffiles; sovereign-setup's data in
# /usr/share/sovereign/deploy; the postinst creating the group and
# enabling or starting nothing; Depends filled; and lintian without an error.
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok   $*"; }
bad() {
	echo "FAIL $*"
	failures=$((failures + 1))
}
check() { # check WHAT CMD...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# --- build it ------------------------------------------------------------
# -B: the package and cpack's staging in our own directory (parallel runs).
if ! (cd "$build" && cpack -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1; then
	cat "$tmp/cpack.log"
	find "$tmp/out" -name '*.log' -exec tail -n 30 {} + 2>/dev/null || true
	bad "cpack -G DEB"
	exit 1
fi
debs=("$tmp"/out/sovereign_*.deb)
check "cpack wrote one sovereign_<version>_<arch>.deb: ${debs[*]##*/}" \
	test ${#debs[@]} -eq 1 -a -f "${debs[0]}"
deb=${debs[0]}
root=$tmp/root
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -c "$deb" >"$tmp/list"
field() { dpkg-deb -f "$deb" "$1"; }

# --- control fields ------------------------------------------------------
check "Package: sovereign" test "$(field Package)" = sovereign
check "Version: the project's ($(field Version))" grep -q '^project(sovereign VERSION '"$(field Version)"'[ )]' "$src/CMakeLists.txt"
depends=$(field Depends)
# dpkg-shlibdeps: the libraries the programs link (libc, liburcu, libmicrohttpd;
# sovereign-bmc: libfreeipmi, libcjson, libcurl, libinih...)
for d in libc6 liburcu8 libmicrohttpd12 libsystemd0 libfreeipmi17 libcjson1 libcurl4 libinih1 \
	adduser; do
	check "Depends names $d ($depends)" grep -q "\b$d\b" <<<"$depends"
done
# sovereign-setup verify scrapes the exporter with curl.
check "Recommends: curl ($(field Recommends))" test "$(field Recommends)" = curl

# --- files, modes, owners -------------------------------------------------
# dpkg-deb -c: "-rwxr-xr-x root/root SIZE DATE TIME ./path"
entry() { awk -v p="./${1#/}" '$6 == p { print $1, $2 }' "$tmp/list"; }
for p in /usr/sbin/sovereign-sampler /usr/sbin/sovereign-exporter /usr/sbin/sovereign-fan \
	/usr/sbin/sovereign-watchdog /usr/sbin/sovereign-bmc /usr/bin/sovereign-dump \
	/usr/bin/sovereign-sim /usr/sbin/sovereign-fleet /usr/bin/sovereign-fleetctl; do
	check "$p -rwxr-xr-x root/root ($(entry "$p"))" test "$(entry "$p")" = "-rwxr-xr-x root/root"
	check "$p is an ELF executable" bash -c "file -b '$root$p' | grep -q ELF"
done
p=/usr/sbin/sovereign-setup
check "$p -rwxr-xr-x root/root ($(entry "$p"))" test "$(entry "$p")" = "-rwxr-xr-x root/root"
check "$p is tools/setup/sovereign-setup" cmp -s "$root$p" "$src/tools/setup/sovereign-setup"
for p in /usr/bin/smi_jitter /usr/local; do
	check "$p is not in the package" test ! -e "$root$p"
done
for p in sampler exporter fan watchdog bmc; do
	c=/etc/sovereign/$p.conf
	check "$c -rw-r--r-- root/root ($(entry "$c"))" test "$(entry "$c")" = "-rw-r--r-- root/root"
	check "$c is the shipped tools/deploy/$p.conf" cmp -s "$root$c" "$src/tools/deploy/$p.conf"
	check "$c is a conffile" grep -qx "$c" "$tmp/control/conffiles"
done
check "conffiles lists only /etc/sovereign" test "$(grep -vc '^/etc/sovereign/' "$tmp/control/conffiles")" = 0
check "/etc/sovereign/bmc.conf: every line commented out (a fresh install touches no BMC)" \
	bash -c "! grep -v '^[[:space:]]*\(#\|\$\)' '$root/etc/sovereign/bmc.conf' | grep -q ."
libs=$(find "$root/usr/lib" -name 'libsovereign*.so.1' | sort)
check "libsovereign.so.1 and libsovereign_runtime.so.1 ($libs)" \
	test "$(grep -c 'libsovereign\(_runtime\)\?\.so\.1$' <<<"$libs")" = 2
check "the headers: /usr/include/sovereign/sovereign.h, runtime.h" \
	test -f "$root/usr/include/sovereign/sovereign.h" -a -f "$root/usr/include/sovereign/runtime.h"
check "shlibs names libsovereign" grep -q '^libsovereign 1 sovereign' "$tmp/control/shlibs"
check "ldconfig trigger" grep -qx 'activate-noawait ldconfig' "$tmp/control/triggers"
check "the Python bindings" test -f "$root/usr/share/sovereign/python/sovereign.py"
check "copyright" test -f "$root/usr/share/doc/sovereign/copyright"
check "changelog.gz" gzip -t "$root/usr/share/doc/sovereign/changelog.gz"
m=/usr/lib/modules-load.d/sovereign.conf
check "$m -rw-r--r-- root/root ($(entry "$m"))" test "$(entry "$m")" = "-rw-r--r-- root/root"
check "$m is tools/deploy/modules-load.d/sovereign.conf" \
	cmp -s "$root$m" "$src/tools/deploy/modules-load.d/sovereign.conf"
check "$m loads msr and i2c-dev" \
	test "$(sed 's/#.*//' "$root$m" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')" = "msr i2c-dev"

# --- what sovereign-setup deploys when it runs from the package: tools/deploy
# in /usr/share/sovereign/deploy, found from /usr/sbin as ../share/sovereign/deploy.
data=/usr/share/sovereign/deploy
for rel in systemd/sovereign-sampler.service systemd/sovereign-exporter.service \
	systemd/sovereign-fan.service systemd/sovereign-watchdog.service sampler.conf exporter.conf \
	fan.conf watchdog.conf bmc.conf modules-load.d/sovereign.conf; do
	check "$data/$rel -rw-r--r-- root/root ($(entry "$data/$rel"))" \
		test "$(entry "$data/$rel")" = "-rw-r--r-- root/root"
	check "$data/$rel is tools/deploy/$rel" cmp -s "$root$data/$rel" "$src/tools/deploy/$rel"
done
check "$data holds only those (10 files)" test "$(find "$root$data" -type f | wc -l)" = 10
check "sovereign-setup finds it: /usr/sbin/../share/sovereign/deploy" \
	test -f "$root/usr/sbin/../share/sovereign/deploy/systemd/sovereign-sampler.service"
# Nothing but root owns a file; nothing is writable beyond its owner, setuid
# or setgid.
check "every file root/root" test "$(awk '$2 != "root/root"' "$tmp/list" | wc -l)" = 0
check "no file group/other-writable, setuid or setgid" \
	test "$(awk '$1 !~ /^l/ && $1 ~ /^.....w|^........w|^...[sS]|^......[sS]/' "$tmp/list" | wc -l)" = 0

# --- systemd units: /lib/systemd/system, running the package's programs -------
for u in sampler exporter fan watchdog; do
	f=$root/lib/systemd/system/sovereign-$u.service
	check "sovereign-$u.service -rw-r--r-- root/root" \
		test "$(entry "/lib/systemd/system/sovereign-$u.service")" = "-rw-r--r-- root/root"
	check "sovereign-$u.service: ExecStart=/usr/sbin/sovereign-$u" grep -q "^ExecStart=/usr/sbin/sovereign-$u\b" "$f"
	# Every Exec line's program is in the package (or /bin/kill).
	while read -r prog; do
		check "sovereign-$u.service runs $prog, which is there" test -x "$root$prog" -o "$prog" = /bin/kill
	done < <(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$f")
	check "sovereign-$u.service: no /usr/local left" bash -c "! grep -q /usr/local '$f'"
	# The same unit as the source one but for the program's path.
	check "sovereign-$u.service is tools/deploy's with /usr/sbin" \
		cmp -s "$f" <(sed 's|/usr/local/sbin/|/usr/sbin/|g' "$src/tools/deploy/systemd/sovereign-$u.service")
done
check "no unit enabled: no symlink under /etc/systemd" test ! -e "$root/etc/systemd"

# --- man pages: whatever man/ installs ------------------------------------
if [ -f "$src/man/CMakeLists.txt" ]; then
	pages=$(cd "$src/man" && ls ./*.[1-8] 2>/dev/null | sed 's|^\./||' || true)
	check "man/ has man pages to ship" test -n "$pages"
	for m in $pages; do
		sec=${m##*.}
		f=/usr/share/man/man$sec/$m.gz
		check "man page $f -rw-r--r-- root/root" test "$(entry "$f")" = "-rw-r--r-- root/root"
		check "$f is gzipped man/$m" bash -c "gzip -dc '$root$f' | cmp -s - '$src/man/$m'"
	done
else
	echo "note: no man/CMakeLists.txt yet: no man page to look for"
fi

# --- maintainer scripts ---------------------------------------------------
for s in postinst postrm; do
	check "$s -rwxr-xr-x" test "$(stat -c %a "$tmp/control/$s")" = 755
	check "$s passes sh -n" sh -n "$tmp/control/$s"
done
check "postinst creates the group sovereign (addgroup --system)" \
	grep -q '^[[:space:]]*addgroup --system sovereign' "$tmp/control/postinst"
for s in "$tmp"/control/post* "$tmp"/control/pre*; do
	[ -e "$s" ] || continue
	check "${s##*/} enables and starts nothing" \
		bash -c "! grep -v '^[[:space:]]*#' '$s' | grep -Eq 'deb-systemd-helper|deb-systemd-invoke|systemctl[^#]*(enable|start|restart)|invoke-rc.d|update-rc.d'"
done
# The postinst itself, run with stub getent/addgroup/systemctl first on a PATH
# that records their calls: without the group it runs addgroup --system
# sovereign; with it, nothing; either way no systemctl but daemon-reload.
mkdir -p "$tmp/stub"
for c in addgroup systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$tmp/calls" >"$tmp/stub/$c"
done
printf '#!/bin/sh\n[ -n "$SOV_HAVE_GROUP" ] && echo sovereign:x:999:\n' >"$tmp/stub/getent"
chmod +x "$tmp"/stub/*
: >"$tmp/calls"
check "postinst configure exits 0 (no group yet)" \
	env PATH="$tmp/stub:$PATH" sh "$tmp/control/postinst" configure
check "... and ran addgroup --system sovereign ($(tr '\n' ';' <"$tmp/calls"))" \
	grep -qx 'addgroup --system sovereign' "$tmp/calls"
: >"$tmp/calls"
check "postinst configure exits 0 (group there)" \
	env SOV_HAVE_GROUP=1 PATH="$tmp/stub:$PATH" sh "$tmp/control/postinst" configure
check "... and ran no addgroup ($(tr '\n' ';' <"$tmp/calls"))" bash -c "! grep -q addgroup '$tmp/calls'"

# --- lintian: no error ------------------------------------------------------
# --fail-on: exit status 1 on an error or warning tag not overridden
# (packaging/debian/lintian-overrides, each with its reason); lintian
# missing is a failure too (install-deps.sh test installs it).
lrc=0
lintian --fail-on error,warning --tag-display-limit 0 "$deb" \
	>"$tmp/lintian.log" 2>&1 || lrc=$?
cat "$tmp/lintian.log"
check "lintian ran and passed (status $lrc)" test "$lrc" = 0
check "lintian: no E: tag" bash -c "! grep -q '^E: ' '$tmp/lintian.log'"
check "lintian: no W: tag (or one overridden with its reason)" bash -c "! grep -q '^W: ' '$tmp/lintian.log'"

if [ "$failures" -ne 0 ]; then
	echo "test_package: $failures check(s) failed"
	exit 1
fi
echo "test_package: every check passed"
