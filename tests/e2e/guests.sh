#!/bin/sh
# guests.sh LIST: the guests of LIST (label kernel config steps mode, one
# per line, comments dropped) that E2E_GUESTS (labels) and E2E_KERNELS
# (kernels) select; both unset: all of them.
grep -v '^[[:space:]]*\(#\|$\)' "$1" | while read -r label kernel config steps mode; do
    if [ -n "${E2E_GUESTS:-}" ]; then
        case " $E2E_GUESTS " in *" $label "*) ;; *) continue ;; esac
    fi
    if [ -n "${E2E_KERNELS:-}" ]; then
        case " $E2E_KERNELS " in *" $kernel "*) ;; *) continue ;; esac
    fi
    echo "$label $kernel $config $steps $mode"
done
