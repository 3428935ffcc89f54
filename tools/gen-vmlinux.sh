#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The header is kept in the tree so that a build needs no BTF-enabled kernel;
# CO-RE relocations make the programs portable across kernels.
set -euo pipefail
arch=${1:-x86}
out="$(dirname "$0")/../vmlinux/$arch/vmlinux.h"
btf=/sys/kernel/btf/vmlinux
[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable: this kernel has no BTF" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
