#!/bin/bash
# Fetch everything the real-Xen end-to-end test needs, from Debian 12's
# packages only: the hypervisor and a Linux 6.1 kernel (with its i915 and
# Xen modules) are unpacked into a cache, never installed; the toolstack,
# QEMU and busybox are installed as ordinary host packages (dom0's image
# copies them). Idempotent.
set -euo pipefail
CACHE=${XENGVT_E2E_CACHE:-/var/cache/xengvt-e2e}
mkdir -p "$CACHE"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo

host_pkgs="xen-utils-4.17 xenstore-utils qemu-system-x86 qemu-system-xen busybox-static cpio kmod"
host_pkgs="$host_pkgs intel-gpu-tools"  # IGT's programs for the guest (igt-image.sh)
host_pkgs="$host_pkgs xz-utils"      # unpacks 6.12's modules for the guest image
# The guests' boot disk (mkimages.sh): a FAT image SYSLINUX boots, which
# dom0 rewrites the kernel command line of (mcopy).
host_pkgs="$host_pkgs syslinux syslinux-common mtools dosfstools"
# libvirt's libxl driver and virsh: one guest is started through libvirt
# with the wrapper as its <emulator> (xengvt-qemu-dm(8), LIBVIRT).
host_pkgs="$host_pkgs libvirt-daemon-driver-xen libvirt-clients"
missing=""
for p in $host_pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "e2e: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The newest Debian 6.1 kernel image the archive offers (dom0 and the first
# guest), and the newest 6.12 built for Debian 12 (the second guest).
kpkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
       awk '{print $1}' | sort -V | tail -1)
[ -n "$kpkg" ] || { echo "e2e: no linux-image-6.1.0-*-amd64-unsigned in the archive" >&2; exit 1; }
k612=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
       awk '{print $1}' | sort -V | tail -1)
[ -n "$k612" ] || { echo "e2e: no linux-image-6.12.*+deb12-amd64-unsigned in the archive" >&2; exit 1; }
for p in xen-hypervisor-4.17-amd64 "$kpkg" "$k612"; do
    if [ ! -f "$CACHE/$p.done" ]; then
        echo "e2e: fetching $p"
        (cd "$CACHE" && rm -f "${p}"_*.deb && apt-get download -q "$p" >/dev/null)
        rm -rf "$CACHE/$p" && mkdir -p "$CACHE/$p"
        dpkg -x "$CACHE"/"${p}"_*.deb "$CACHE/$p"
        touch "$CACHE/$p.done"
    fi
done
ln -sfn "$kpkg" "$CACHE/kernel"
ln -sfn "$k612" "$CACHE/kernel-6.12"
ln -sfn xen-hypervisor-4.17-amd64 "$CACHE/xen"
xen_gz=$(ls "$CACHE"/xen/boot/xen-4.17*-amd64.gz 2>/dev/null | head -1)
[ -n "$xen_gz" ] || xen_gz=$(ls "$CACHE"/xen/boot/xen-*.gz | head -1)
# QEMU's -kernel takes the multiboot ELF, not the gzip.
[ -f "$CACHE/xen.elf" ] || gunzip -c "$xen_gz" > "$CACHE/xen.elf"
echo "e2e: cache ready in $CACHE ($kpkg, $k612)"
