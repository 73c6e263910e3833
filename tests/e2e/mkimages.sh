#!/bin/bash
# Assemble the dom0 and guest initramfs images for the e2e run from the
# cache (fetch.sh) and the host's packages, with the just-built daemon.
# usage: mkimages.sh XENGVTD XENGVT XL_VGPU OUTDIR [QEMU_DM]
set -euo pipefail
# mkfs.fat and depmod live in sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
XENGVTD=$1 XENGVT=$2 XL_VGPU=$3 OUT=$4 QEMU_DM=${5:-}
CACHE=${XENGVT_E2E_CACHE:-/var/cache/xengvt-e2e}
KDIR=$(readlink -f "$CACHE/kernel")
KVER=$(ls "$KDIR/lib/modules" | head -1)
MODS=$KDIR/lib/modules/$KVER
mkdir -p "$OUT"
# The guests (guests/list): E2E_GUESTS picks labels, E2E_KERNELS kernels
# (default: every guest listed).
GUESTS=$("$here/guests.sh" "$here/guests/list")
KERNELS=$(echo "$GUESTS" | awk '{print $2}' | sort -u | tr '\n' ' ')
[ -n "$GUESTS" ] || { echo "e2e: no guest selected (E2E_GUESTS='${E2E_GUESTS:-}', E2E_KERNELS='${E2E_KERNELS:-}')" >&2; exit 1; }

# The guest's own programs: static, so the busybox image needs no libc.
gcc -O2 -Wall -Wextra -Werror -static -I/usr/include/libdrm -o "$OUT/gpu-client" \
    "$here/gpu-client.c"
gcc -O2 -Wall -Wextra -Werror -static -o "$OUT/fbpattern" "$here/fbpattern.c"
gcc -O2 -Wall -Wextra -Werror -static -o "$OUT/trapstorm" "$here/trapstorm.c"
gcc -O2 -Wall -Wextra -Werror -static -I/usr/include/libdrm -o "$OUT/vblank-rate" \
    "$here/vblank-rate.c"
gcc -O2 -Wall -Wextra -Werror -static -o "$OUT/trap-parity" "$here/trap-parity.c"

deps_of() { # deps_of MODS MODULE: the dependency closure (relative paths), deps first
    local line
    line=$(grep "^$2:" "$1/modules.dep" | cut -d: -f2)
    for d in $line; do deps_of "$1" "$d"; done
    echo "$2"
}

# put_module MODS REL DIR: a module into DIR as plain ELF (Debian 6.12 ships
# them xz-compressed; busybox's insmod unpacks those itself, which under
# emulation cost the guest two minutes of its boot for i915 alone), and
# its name for an order file.
put_module() {
    local name=${2##*/}
    case $name in
    *.xz) name=${name%.xz}; xz -dc "$1/$2" > "$3/$name" ;;
    *) cp "$1/$2" "$3/$name" ;;
    esac
    echo "$name"
}

# boot_disk DIR: DIR/boot.img, the guest's only disk: a FAT filesystem that
# SYSLINUX boots, with DIR's kernel and initramfs and IGT (igt.cpio). QEMU
# gives it as virtio-blk, whose reads SeaBIOS and Linux make in large DMA
# transfers: xl's kernel= would hand both files over QEMU's fw_cfg a byte
# per emulated I/O instead, 100-120 s per boot under emulation. dom0 writes
# each guest's command line into its syslinux.cfg (mcopy) before creating it.
boot_disk() {
    local dir=$1 size
    size=$(( ($(stat -c %s "$dir/vmlinuz") + $(stat -c %s "$dir/initrd.gz") +
              $(stat -c %s "$OUT/igt.cpio")) / 1024 + 4096 ))
    rm -f "$dir/boot.img"
    mkfs.fat -C -n E2EBOOT "$dir/boot.img" "$size" > /dev/null
    printf 'DEFAULT e2e\nPROMPT 0\nTIMEOUT 0\nLABEL e2e\n  KERNEL /vmlinuz\n  INITRD /initrd.gz\n  APPEND console=ttyS0\n' > "$dir/syslinux.cfg"
    mcopy -i "$dir/boot.img" "$dir/vmlinuz" "$dir/initrd.gz" "$OUT/igt.cpio" "$dir/syslinux.cfg" ::
    syslinux --install "$dir/boot.img"
    rm -f "$dir/vmlinuz" "$dir/initrd.gz" "$dir/syslinux.cfg"
}

guest_image() { # guest_image LABEL KERNEL_DIR: $OUT/guest-LABEL/{vmlinuz,initrd.gz}
    local label=$1 kdir=$2 kver mods guest i915
    kver=$(ls "$kdir/lib/modules" | head -1)
    mods=$kdir/lib/modules/$kver
    # Module dependencies: depmod into the cache once (the .deb ships none).
    [ -f "$mods/modules.dep" ] || depmod -b "$kdir" "$kver"
    guest=$OUT/guestroot-$label; rm -rf "$guest"
    mkdir -p "$guest"/{bin,proc,sys,dev,mods,tmp}
    cp /bin/busybox "$guest/bin/"
    cp "$here/guest-init" "$guest/init"; chmod +x "$guest/init"
    cp "$OUT/gpu-client" "$OUT/fbpattern" "$OUT/trapstorm" "$OUT/vblank-rate" \
        "$OUT/trap-parity" "$guest/"
    i915=$(grep -o '^kernel/drivers/gpu/drm/i915/i915.ko[^:]*' "$mods/modules.dep")
    : > "$guest/mods/order"
    for m in $(deps_of "$mods" "$i915" | awk '!seen[$0]++'); do
        put_module "$mods" "$m" "$guest/mods" >> "$guest/mods/order"
    done
    # The boot disk that also carries IGT (igt-image.sh): virtio's block
    # driver and FAT (what the kernel has built in is not in modules.dep).
    : > "$guest/mods/disk-order"
    for top in virtio_pci virtio_blk vfat nls_cp437 nls_ascii; do
        t=$(grep -o "^kernel/[a-z/]*/$top.ko[^:]*" "$mods/modules.dep" || true)
        [ -n "$t" ] && deps_of "$mods" "$t"
    done | awk '!seen[$0]++' | while read -r m; do
        put_module "$mods" "$m" "$guest/mods" >> "$guest/mods/disk-order"
    done
    mkdir -p "$OUT/guest-$label"
    (cd "$guest" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$OUT/guest-$label/initrd.gz")
    cp "$kdir/boot/vmlinuz-$kver" "$OUT/guest-$label/vmlinuz"
    boot_disk "$OUT/guest-$label"
    echo "e2e: guest $label: kernel $kver, $(wc -l < "$guest/mods/order") modules"
    rm -rf "$guest"
}
# IGT for the guests' boot disks (boot_disk).
"$here/igt-image.sh" "$OUT/igt.cpio"
for k in $KERNELS; do
    case $k in
    6.1) guest_image 6.1 "$KDIR" ;;
    6.12) guest_image 6.12 "$(readlink -f "$CACHE/kernel-6.12")" ;;
    *) echo "e2e: unknown guest kernel '$k' (6.1, 6.12)" >&2; exit 1 ;;
    esac
done

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
# mcopy: dom0 writes each guest's kernel command line into its boot disk.
copy "$(readlink -f /usr/bin/mcopy)"
ln -sf "$(readlink -f /usr/bin/mcopy)" "$dom0/usr/bin/mcopy"
# mtools converts names through iconv: glibc's module list and the DOS code
# pages it uses (without them: "Error setting code page").
G=/usr/lib/x86_64-linux-gnu/gconv
mkdir -p "$dom0$G" && cp -a "$G"/gconv-modules* "$G/IBM850.so" "$G/IBM437.so" "$dom0$G/"
cp -L "$XENGVTD" "$dom0/usr/sbin/xengvtd"; cp -L "$XENGVT" "$dom0/usr/bin/xengvt"
cp -L "$XL_VGPU" "$dom0/usr/sbin/xl-vgpu"
# The device-model wrapper the stock-xl guests name (device_model_override),
# where xengvt-qemu-dm(8) says it is.
if [ -n "$QEMU_DM" ]; then
    copy "$QEMU_DM"
    mkdir -p "$dom0/usr/libexec/xengvt" && cp -L "$QEMU_DM" "$dom0/usr/libexec/xengvt/qemu-dm"
fi
# libvirtd with only its libxl driver, and virsh (the libvirt guest).
LV=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_libxl.so
if echo "$GUESTS" | awk '$4 == "libvirt"' | grep -q .; then
    [ -e $LV ] || { echo "e2e: $LV missing (fetch.sh installs libvirt-daemon-driver-xen)" >&2; exit 1; }
    # dmidecode: libvirt's host capabilities; cpu_map: its CPU models.
    copy /usr/sbin/libvirtd /usr/bin/virsh $LV /usr/sbin/dmidecode
    mkdir -p "$dom0/usr/share" && cp -a /usr/share/libvirt "$dom0/usr/share/"
    # The emulated CPU (run.sh: -cpu qemu64,+svm,+npt, AMD) as Xen reports
    # it has no SEP (hw_caps word 0 = 178bf3fd: Xen clears it on this CPU),
    # and libvirt 9.0 takes as the host's CPU only a model of its cpu_map
    # with every feature present: all of them have sep, so its libxl driver
    # fails to start ("x86Decode: Cannot find suitable CPU model"). One
    # model for this CPU: qemu64's features but sep.
    m=$dom0/usr/share/libvirt/cpu_map
    sed -e "s/<model name='qemu64'>/<model name='e2e-qemu64-nosep'>/" -e "/<feature name='sep'\/>/d" \
        "$m/x86_qemu64.xml" > "$m/x86_e2e-qemu64-nosep.xml"
    sed -i "s|    <include filename='x86_qemu64.xml'/>|&\n    <include filename='x86_e2e-qemu64-nosep.xml'/>|" "$m/index.xml"
    grep -q e2e-qemu64-nosep "$m/index.xml" ||
        { echo "e2e: libvirt's cpu_map/index.xml has no x86_qemu64.xml include to follow" >&2; exit 1; }
    mkdir -p "$dom0"/etc/libvirt "$dom0"/var/lib/libvirt "$dom0"/var/log/libvirt "$dom0"/var/cache/libvirt
fi
# xengvtd drops to its domain's own uid once set up: xengvt-range-base's
# plus the domid (xengvtd(8), USERS).
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    'xengvt-range-base:x:196608:996:xengvt:/nonexistent:/bin/false' > "$dom0/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\nxengvt:x:996:\n' > "$dom0/etc/group"
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
# One kernel and initramfs per guest kernel; per guest its xl.cfg: the
# shared base, then the guest's own vGPU lines. README's are copied from
# the README itself, so that one guest runs the example verbatim.
readme_lines=$(sed -n 's/^#   \(vga = .*\|xen_platform_pci = .*\|vgpu = \[.*\)$/\1/p' \
               "$here/../../README.md")
[ "$(echo "$readme_lines" | wc -l)" = 3 ] ||
    { echo "e2e: README.md's example (vga, xen_platform_pci, vgpu lines) not found" >&2; exit 1; }
# The README's first example: the stock xl guest.cfg block.
readme_xl_lines=$(awk '/^# guest.cfg \(HVM\): QEMU.s VGA off and slot 2 free for the vGPU, its RAM budgeted/ { on = 1; next }
                       on && /^```/ { exit }
                       on' "$here/../../README.md")
[ "$(echo "$readme_xl_lines" | grep -c 'device_model_override\|device_model_args_hvm\|^vga\|^memory')" = 4 ] ||
    { echo "e2e: README.md's stock xl example (vga, memory, device_model_* lines) not found" >&2; exit 1; }
for k in $KERNELS; do
    cp -r "$OUT/guest-$k" "$dom0/guest/k$k"
done
echo "$GUESTS" | while read -r label kernel config steps mode; do
    mkdir -p "$dom0/guest/$label"
    if [ "$steps" = libvirt ]; then  # a domain XML, not an xl.cfg
        sed "s|/guest/k6.1/|/guest/k$kernel/|" "$here/guests/$config.xml" > "$dom0/guest/$label/guest.xml"
        echo "e2e: guest $label: kernel $kernel, $config.xml (libvirt), $mode"
        continue
    fi
    {
        cat "$here/guests/base.cfg"
        echo "# --- $config"
        case $config in
        README) echo "$readme_lines" ;;
        README-xl) echo "$readme_xl_lines"; echo "# --- what the run changes"
                   cat "$here/guests/stock-xl.cfg" ;;
        *) cat "$here/guests/$config.cfg" ;;
        esac
    } | sed "s|/guest/k6.1/|/guest/k$kernel/|" > "$dom0/guest/$label/guest.cfg"
    echo "e2e: guest $label: kernel $kernel, $config, steps $steps, $mode"
done
echo "$GUESTS" > "$dom0/guest/list"
cp "$here/dom0-init" "$dom0/init"; chmod +x "$dom0/init"
(cd "$dom0" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$OUT/dom0-initrd.gz")
cp "$KDIR/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
echo "e2e: images in $OUT (dom0 kernel $KVER, guests: $KERNELS)"
