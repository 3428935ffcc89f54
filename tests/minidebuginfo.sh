#!/bin/bash
# tests/minidebuginfo.sh IN OUT: OUT is IN stripped (strip --strip-all),
# with a .gnu_debugdata section as Fedora's find-debuginfo adds it: the
# symbols of IN's functions that .dynsym does not have, in an ELF file of
# no code and no debug information, compressed with xz ("MiniDebugInfo",
# what gdb and libdwfl read when a binary has no .symtab).
set -euo pipefail
in=$1
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D "$in" --format=posix --defined-only | awk '{ print $1 }' | sort >"$tmp/dynsyms"
nm "$in" --format=posix --defined-only | awk '$2 == "T" || $2 == "t" { print $1 }' | sort >"$tmp/funcsyms"
comm -13 "$tmp/dynsyms" "$tmp/funcsyms" >"$tmp/keep_symbols"
objcopy --only-keep-debug "$in" "$tmp/debug"
objcopy -S --remove-section .gdb_index --remove-section .comment \
	--keep-symbols="$tmp/keep_symbols" "$tmp/debug" "$tmp/mini_debuginfo"
xz --force "$tmp/mini_debuginfo"
strip --strip-all --remove-section .comment "$in" -o "$tmp/stripped"
objcopy --add-section .gnu_debugdata="$tmp/mini_debuginfo.xz" "$tmp/stripped" "$out"
