#!/usr/bin/env bash
# Install the Debian packages memleakbpf needs to build, test and benchmark.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

pkgs=(make clang llvm gcc g++ libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
      libcapstone-dev libjansson-dev libcap-ng-dev pkg-config elfutils binutils libc6-dbg util-linux
      libjemalloc2 libtcmalloc-minimal4 libgoogle-perftools4
      # memleakbpf's own allocator, linked in (Makefile, SELF_ALLOC)
      libjemalloc-dev
      libprotobuf-c-dev protobuf-c-compiler
      # the HTTP server of --listen (/metrics, /debug/pprof/...)
      libmicrohttpd-dev
      # the tests: go tool pprof reads the pprof export, chromium (driven by
      # node) the SVG, xmllint checks it; node runs the Node.js workloads
      libxml2-utils golang-go chromium fonts-dejavu-core nodejs
      # a real Prometheus scrapes --listen's /metrics (its promtool checks
      # the page); the tests start their own, on a port of their own, and
      # ask it and the pages with curl
      prometheus curl
      # the unwinding tests profile real programs built without frame
      # pointers: Debian's python3.11 (its symbols in -dbg) and redis-server
      # (jemalloc), filled by redis-benchmark from redis-tools
      python3.11 python3.11-dbg redis-server redis-tools
      # xz for the MiniDebugInfo (.gnu_debugdata) of a test program
      # (tests/minidebuginfo.sh, with binutils' nm, objcopy and strip)
      xz-utils
      # libFuzzer for clang (make fuzz, and the fuzz smoke tests): only a
      # Recommends of clang, which this script does not install
      libclang-rt-14-dev
      # the packaging tests: man-db renders the man page, bash-completion
      # runs the completion, systemd-analyze verifies the unit, promtool
      # (in prometheus) and python3-yaml check the examples
      man-db bash-completion systemd prometheus python3-yaml)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# No service may start from an install (redis-server's would take port
# 6379): invoke-rc.d asks policy-rc.d, and 101 means "not now".
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
# The tests start their own redis-server and prometheus, on ports of their
# own: the packages' services are neither running nor started at boot.
for svc in redis-server prometheus; do
	if [[ " ${missing[*]} " == *" $svc "* ]] && command -v systemctl >/dev/null; then
		if [ -d /run/systemd/system ]; then
			systemctl disable --now "$svc.service" || true
		else
			systemctl disable "$svc.service" || true
		fi
	fi
done
