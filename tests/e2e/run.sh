#!/bin/bash
# make check-xen: boot Xen 4.17 + a Debian dom0 under QEMU (software
# emulation), run an HVM guest against the just-built xengvtd, and judge
# what the guest saw. Logs stay in tests/e2e/logs/<time>/.
# usage: run.sh XENGVTD XENGVT XL_VGPU [QEMU_DM]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
XENGVTD=$(readlink -f "${1:-$here/../../xengvtd}")
XENGVT=$(readlink -f "${2:-$here/../../xengvt}")
XL_VGPU=$(readlink -f "${3:-$here/../../xl-vgpu}")
QEMU_DM=$(readlink -f "${4:-$here/../../qemu-dm}")
CACHE=${XENGVT_E2E_CACHE:-/var/cache/xengvt-e2e}
logs=$here/logs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$logs"
"$here/fetch.sh" || { echo "0 passed, 1 failed"; exit 1; }
"$here/mkimages.sh" "$XENGVTD" "$XENGVT" "$XL_VGPU" "$logs/img" "$QEMU_DM" > "$logs/mkimages.log" 2>&1 ||
    { cat "$logs/mkimages.log"; echo "0 passed, 1 failed"; exit 1; }

start=$(date +%s)
# The guests (guests/list; E2E_GUESTS picks labels, E2E_KERNELS kernels),
# as judge.py takes them: LABEL:KERNEL:STEPS:MODE.
guests=$("$here/guests.sh" "$here/guests/list" | awk '{print $1 ":" $2 ":" $4 ":" $5}')
ng=$(echo $guests | wc -w)
# Each guest: boot, i915, the steps, maybe a save and a restore. dom0 gets
# each guest's budget; the whole run their sum and dom0's own boot.
# A bound, not an estimate: a guest that works takes 5-6 minutes (boot,
# i915, the steps, IGT), twice that on a loaded host.
guest_budget=${E2E_GUEST_TIMEOUT:-720}
# The "life" guest also lives a guest's life (a daemon killed, a reboot).
budget=${E2E_TIMEOUT:-$((120 + ng * (guest_budget + 90) + 240))}
# qemu64 + SVM + NPT: the CPU model measured to run Xen's HVM guests here.
# 5 GiB: dom0's 2.5 (its tmpfs holds a save file) and room for the 1 GiB
# guest with its vGPU RAM.
# A run whose output stops for E2E_SILENCE seconds is stopped then, not at
# the end of its budget: twice a run went silent mid-IGT (dom0's output
# and all; cause not found yet). dom0 says where each guest is every 30 s.
silence=${E2E_SILENCE:-300}
# QEMU's command line is the one measured to keep its emulated SVM
# steadiest: with the serial line and the monitor on sockets (so that
# stall-dump.py could read the CPUs' registers and send dom0's sysrq and
# Xen's debug keys) ten guest boots of sixteen triple-faulted, against
# three of twenty-eight before. So a stall is asked only what the host
# sees (QEMU's threads; stall-dump.py --host-only).
boot() { # boot LOG BUDGET [FROM [DOM0-ARG]]: one QEMU run of the guests (from FROM on)
    local log=$1 budget=$2 from=${3:+ xengvt_from=$3}${4:+ $4}
    ( last=0; quiet=0
      while sleep 30; do
          size=$(stat -c %s "$log" 2>/dev/null || echo 0)
          if [ "$size" = "$last" ]; then quiet=$((quiet + 30)); else quiet=0; last=$size; fi
          if [ $quiet -ge "$silence" ]; then
              echo "e2e: no output for ${quiet}s: asking what it is, then stopping QEMU" >> "$log"
              qemu=$(pgrep -n -f "qemu-system-x86_64 -machine q35 .*$logs/img")  # -n: QEMU, not its timeout
              [ -n "$qemu" ] && timeout 60 python3 "$here/stall-dump.py" --host-only "$qemu" >> "$log" 2>&1
              echo "E2E-STALLED after ${quiet}s of silence" >> "$log"
              pkill -f "qemu-system-x86_64 -machine q35 .*$logs/img" ; break
          fi
      done ) &
    local watchdog=$!
    timeout --kill-after=10 "$budget" qemu-system-x86_64 -machine q35 \
        -cpu qemu64,+svm,+npt -m 5120 -smp 2 -nographic -nic none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$CACHE/xen.elf" \
        -append "console=com1 com1=115200 dom0_mem=2560M,max:2560M loglvl=all" \
        -initrd "$logs/img/vmlinuz console=hvc0 earlyprintk=xen xengvt_guest_timeout=$guest_budget$from,$logs/img/dom0-initrd.gz" \
        >> "$log" 2>&1 < /dev/null
    local rc=$?  # 3: dom0's isa-debug-exit write (1 << 1 | 1); 124: timeout
    kill $watchdog 2>/dev/null
    echo "qemu exit=$rc after $(( $(date +%s) - start ))s" | tee -a "$log"
}
# E2E_STALL_AT=LABEL: the first boot goes silent at that guest (dom0-init
# sleeps), to test the stall dump and the second boot.
boot "$logs/console.log" "$budget" "" ${E2E_STALL_AT:+xengvt_stall_at=$E2E_STALL_AT}
judged=$logs/console.log
# A stalled machine (Xen and dom0 silent; stall-dump.py's findings are in
# console.log) is booted once more, from the guest it stalled in: what
# the first boot finished is judged from it, the rest from the second.
if grep -q "^E2E-STALLED" "$logs/console.log" && ! grep -qa "E2E-DOM0: .*E2E-END" "$logs/console.log"; then
    # The first guest dom0 did not finish (dom0-init: E2E-GUEST-DONE).
    stalled=""
    for g in $guests; do
        grep -qaF " [${g%%:*}] E2E-GUEST-DONE" "$logs/console.log" || { stalled=${g%%:*}; break; }
    done
    if [ -n "$stalled" ]; then
        left=$(echo $guests | tr ' ' '\n' | sed -n "/^$stalled:/,\$p" | wc -l)
        echo "e2e: the machine stalled in guest $stalled: booting again from it ($left guest(s))"
        boot "$logs/console-2.log" $((120 + left * (guest_budget + 90) + 240)) "$stalled"
        # The first boot's log up to where dom0 began the stalled guest.
        first=$(grep -anF " [$stalled] " "$logs/console.log" | grep -a "E2E-DOM0: " | head -1 | cut -d: -f1)
        judged=$logs/judged.log
        { head -n $(( ${first:-$(wc -l < "$logs/console.log") + 1} - 1 )) "$logs/console.log"
          echo "E2E-RUN-STALLED: $stalled (the first boot's log: console.log)"
          cat "$logs/console-2.log"; } > "$judged"
    fi
fi
rm -rf "$logs/img/dom0root" "$logs/img"/guestroot* "$logs/img/igt.cpio" "$logs/img"/guest-*/boot.img

log=$judged
pass=0 fail=0
check() { # check NAME PATTERN
    if grep -qaE "$2" "$log"; then echo "PASS: $1"; pass=$((pass + 1))
    else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
check "dom0 boots and ends the run" "E2E-DOM0: .*E2E-END"
check "xengvtd confines itself (Xen handles restricted, seccomp on)" "sandbox: Xen handles restricted to dom[0-9]+.*seccomp on"
# Per guest kernel: judge.py (screenshots decoded, checksums compared).
python3 "$here/judge.py" "$log" "$logs" $guests > "$logs/judge.txt" 2>&1 ||
    echo "FAIL: judge.py crashed" >> "$logs/judge.txt"
cat "$logs/judge.txt"
if [ "$judged" != "$logs/console.log" ]; then
    # Not a failure of its own (the second boot's checks are), but said,
    # with what the stalled machine was doing.
    echo "INFO: the machine stalled in guest $stalled; its guests were judged from a second boot"
    grep -a "^E2E-STALL-DUMP:" "$logs/console.log" | sed 's/^/INFO: /' | head -40
fi
pass=$((pass + $(grep -c "^PASS:" "$logs/judge.txt")))
fail=$((fail + $(grep -c "^FAIL:" "$logs/judge.txt")))
echo "logs: $logs (screenshots: $(cd "$logs" && ls *.png 2>/dev/null | tr '\n' ' '))"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
