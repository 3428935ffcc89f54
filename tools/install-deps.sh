#!/usr/bin/env bash
# Install the Debian packages memleakbpf needs to build, test and benchmark.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

pkgs=(make clang llvm gcc g++ libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
      libcapstone-dev libjansson-dev pkg-config elfutils binutils libc6-dbg util-linux
      libjemalloc2 libtcmalloc-minimal4 libgoogle-perftools4
      libprotobuf-c-dev protobuf-c-compiler
      # the tests: go tool pprof reads the pprof export, chromium (driven by
      # node) the SVG, xmllint checks it; node runs the Node.js workloads
      libxml2-utils golang-go chromium fonts-dejavu-core nodejs)

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
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
