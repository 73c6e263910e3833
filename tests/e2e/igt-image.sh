#!/bin/bash
# i915's own test programs for the e2e guests, as a disk: IGT's benchmarks
# from Debian 12's intel-gpu-tools (1.27.1), their shared libraries and the
# dynamic loader, in a cpio archive the guests read from their IDE disk
# (guest-init extracts it, then runs igt-run). Not in the initramfs: QEMU
# hands a direct-boot initramfs over fw_cfg, and 10 MB more of it cost
# each guest two minutes of boot under emulation. The guest image is
# otherwise static; these are the only dynamically linked programs in it.
#
# Debian's package ships no tests/ (no gem_exec_nop with subtests, no
# --list-subtests): what it ships of IGT's programs are the benchmarks in
# /usr/libexec/igt-gpu-tools/benchmarks, one measurement each, chosen by
# options (see igt-run).
# usage: igt-image.sh OUT.cpio
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
root=$out.d
rm -rf "$root"
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
(cd "$root" && find . | cpio -o -H newc 2>/dev/null) > "$out"
# Whole sectors: QEMU's raw disk drops a partial last one.
truncate --size=%512 "$out"
echo "e2e: IGT disk $out: $PROGS, $(find "$root" -type f | wc -l) files, $(( $(stat -c %s "$out") / 1024 )) KiB"
rm -rf "$root"
