#!/bin/bash
# Put i915's own test programs into an e2e guest root: IGT's benchmarks
# from Debian 12's intel-gpu-tools (1.27.1), their shared libraries, the
# dynamic loader, and igt-run, the busybox script the guest's /init runs
# after its own GPU client (guest-init). The guest image is otherwise
# static; these are the only dynamically linked programs in it.
#
# Debian's package ships no tests/ (no gem_exec_nop with subtests, no
# --list-subtests): what it ships of IGT's programs are the benchmarks in
# /usr/libexec/igt-gpu-tools/benchmarks, one measurement each, chosen by
# options (see igt-run).
# usage: igt-image.sh GUEST_ROOT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$1
IGT=/usr/libexec/igt-gpu-tools/benchmarks
PROGS="gem_exec_nop kms_vblank gem_blt gem_create"
for p in $PROGS; do
    [ -x "$IGT/$p" ] || { echo "e2e: $IGT/$p missing (fetch.sh installs intel-gpu-tools)" >&2; exit 1; }
done
mkdir -p "$root$IGT"
for p in $PROGS; do
    cp "$IGT/$p" "$root$IGT/"
    # The closure ldd names, the loader included, at the paths the loader
    # searches (no ld.so.cache in the guest: its built-in directories).
    for l in $(ldd "$IGT/$p" | grep -o '/[^ ]*'); do
        [ -e "$root$l" ] && continue
        mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l"
    done
done
cp "$here/igt-run" "$root/igt-run"; chmod +x "$root/igt-run"
echo "e2e: IGT in the guest: $PROGS, $(find "$root/lib" "$root/lib64" "$root/usr" -type f 2>/dev/null | wc -l) files, $(du -sk "$root$IGT" "$root/lib" "$root/lib64" 2>/dev/null | awk '{s += $1} END {print s}') KiB"
