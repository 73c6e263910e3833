#!/bin/bash
# Assemble the dom0 and guest initramfs images for the e2e run from the
# cache (fetch.sh) and the host's packages, with the just-built daemon.
# usage: mkimages.sh XENGVTD XENGVT XL_VGPU OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
XENGVTD=$1 XENGVT=$2 XL_VGPU=$3 OUT=$4
CACHE=${XENGVT_E2E_CACHE:-/var/cache/xengvt-e2e}
KDIR=$(readlink -f "$CACHE/kernel")
KVER=$(ls "$KDIR/lib/modules" | head -1)
MODS=$KDIR/lib/modules/$KVER
mkdir -p "$OUT"

# Module dependencies: depmod into the cache once (the .deb ships none).
[ -f "$MODS/modules.dep" ] || depmod -b "$KDIR" "$KVER"

# i915 and what it needs, dependencies first.
deps_of() { # prints the dependency closure of $1 (relative paths), deps first
    local m=$1 line
    line=$(grep "^$m:" "$MODS/modules.dep" | cut -d: -f2)
    for d in $line; do deps_of "$d"; done
    echo "$m"
}

guest=$OUT/guestroot; rm -rf "$guest"
mkdir -p "$guest"/{bin,proc,sys,dev,mods,tmp}
cp /bin/busybox "$guest/bin/"
cp "$here/guest-init" "$guest/init"; chmod +x "$guest/init"
i915=$(grep -o '^kernel/drivers/gpu/drm/i915/i915.ko[^:]*' "$MODS/modules.dep")
: > "$guest/mods/order"
for m in $(deps_of "$i915" | awk '!seen[$0]++'); do
    cp "$MODS/$m" "$guest/mods/"
    echo "${m##*/}" >> "$guest/mods/order"
done
(cd "$guest" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$OUT/guest-initrd.gz")

dom0=$OUT/dom0root; rm -rf "$dom0"
mkdir -p "$dom0"/{bin,sbin,proc,sys,dev,tmp,run,var/run/xen,var/lib/xen,var/log/xen,etc/xen,lib64,mods,guest,root}
cp /bin/busybox "$dom0/bin/"
copy() { # files with the libraries ldd names
    for f in "$@"; do
        mkdir -p "$dom0$(dirname "$f")"; cp -L "$f" "$dom0$f"
        for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
            mkdir -p "$dom0$(dirname "$l")"; cp -Ln "$l" "$dom0$l"
        done
    done
}
B=/usr/lib/xen-4.17/bin
copy $B/xen-init-dom0 $B/xl $B/xenstored $B/xenconsoled $B/libxl-save-helper \
     /usr/bin/xenstore-read /usr/bin/xenstore-write /usr/bin/xenstore-ls \
     /usr/libexec/xen-qemu-system-i386
mkdir -p "$dom0/usr/sbin" "$dom0/usr/bin"
copy "$XENGVTD" "$XENGVT" "$XL_VGPU"
cp -L "$XENGVTD" "$dom0/usr/sbin/xengvtd"; cp -L "$XENGVT" "$dom0/usr/bin/xengvt"
cp -L "$XL_VGPU" "$dom0/usr/sbin/xl-vgpu"
# xengvtd drops to "nobody" once set up (its default --runas).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    > "$dom0/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dom0/etc/group"
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$dom0/lib/x86_64-linux-gnu/"
touch "$dom0/etc/xen/xl.conf"
cp -a /etc/xen/scripts "$dom0/etc/xen/" 2>/dev/null || true
mkdir -p "$dom0/usr/lib/xen-4.17/boot" && cp /usr/lib/xen-4.17/boot/* "$dom0/usr/lib/xen-4.17/boot/"
mkdir -p "$dom0/usr/share/qemu"; cp -a /usr/share/seabios "$dom0/usr/share/"
cp /usr/share/qemu/*.bin "$dom0/usr/share/qemu/" 2>/dev/null || true
cp -a /usr/share/qemu/keymaps "$dom0/usr/share/qemu/" 2>/dev/null || true
for m in xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs; do
    find "$MODS" -name "$m.ko" -exec cp {} "$dom0/mods/" \;
done
cp "$KDIR/boot/vmlinuz-$KVER" "$dom0/guest/vmlinuz"
cp "$OUT/guest-initrd.gz" "$dom0/guest/initrd.gz"
cp "$here/guest.cfg" "$dom0/guest/guest.cfg"
cp "$here/dom0-init" "$dom0/init"; chmod +x "$dom0/init"
(cd "$dom0" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$OUT/dom0-initrd.gz")
cp "$KDIR/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
echo "e2e: images in $OUT (kernel $KVER, $(wc -l < "$guest/mods/order") guest modules)"
