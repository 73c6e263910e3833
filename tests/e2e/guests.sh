#!/bin/sh
# guests.sh LIST: the guests of LIST (label kernel config steps mode, one
# per line, comments dropped) that E2E_GUESTS (labels) and E2E_KERNELS
# (kernels) select; both unset: all of them. E2E_STOCK_XL=1 adds the stock
# xl guests (stock-xl.list, next to LIST).
lists=$1
[ "${E2E_STOCK_XL:-}" = 1 ] && lists="$lists $(dirname "$1")/stock-xl.list"
cat $lists | grep -v '^[[:space:]]*\(#\|$\)' | while read -r label kernel config steps mode; do
    if [ -n "${E2E_GUESTS:-}" ]; then
        case " $E2E_GUESTS " in *" $label "*) ;; *) continue ;; esac
    fi
    if [ -n "${E2E_KERNELS:-}" ]; then
        case " $E2E_KERNELS " in *" $kernel "*) ;; *) continue ;; esac
    fi
    echo "$label $kernel $config $steps $mode"
done
