#!/bin/bash
# make fuzz: build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) and run each for a bounded time
# from its seed corpus in tests/fuzz/corpus/<target>/.
#
# usage: run.sh [SECONDS_PER_TARGET] [TARGET...]
# Environment (set by make): FUZZ_SRCDIR, FUZZ_BUILDDIR, FUZZ_GVT_SRC and
# FUZZ_HOOKS_SRC (source lists), FUZZ_CPPFLAGS, FUZZ_LIBS; CC (clang).
# A crash leaves its input in $FUZZ_BUILDDIR/fuzz/artifacts/<target>/:
# reproduce with build-fuzz/<target> that-file, then add it to the corpus
# and a regression test. Ends with one line "N passed, N failed".
set -uo pipefail
secs=${1:-60}
shift || true
src=${FUZZ_SRCDIR:?run through make fuzz}
out=${FUZZ_BUILDDIR:?}/fuzz
CC=${FUZZ_CC:-clang}
all_targets="fuzz_ioreq fuzz_pci fuzz_bar0 fuzz_display fuzz_cmd fuzz_state fuzz_savefile fuzz_vgpu_entry fuzz_bars fuzz_control fuzz_edid fuzz_cmdgen fuzz_restore fuzz_reply fuzz_live"
targets=${*:-$all_targets}
# FUZZ_SANITIZE=0: no ASan/UBSan (speed: what libFuzzer alone reaches).
if [ "${FUZZ_SANITIZE:-1}" = 0 ]; then
    san="" out=$out-nosan
else
    san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
fi
mkdir -p "$out/obj" "$out/artifacts"
flags="-g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -fno-omit-frame-pointer $san
       -D__XEN_TOOLS__ -D_GNU_SOURCE -I$src/src
       -I$src -I$src/tests/fuzz -I$src/tests/harness -I${FUZZ_BUILDDIR} $FUZZ_CPPFLAGS"

# An object is rebuilt when its source or any header is newer (a struct
# changed in a header must not leave objects disagreeing on its layout).
newest_header=$(find "$src/src" "$src/tools" "$src/tests/fuzz" -name '*.h' -printf '%T@\n' |
                sort -n | tail -1 | cut -d. -f1)
stale() { # stale OBJ SRC
    [ ! -f "$1" ] || [ "$2" -nt "$1" ] || [ "$(stat -c %Y "$1")" -le "${newest_header:-0}" ]
}

build_lib() { # build_lib NAME SOURCES... : objects with fuzzer coverage into an archive
    local name=$1; shift
    local objs=()
    for f in "$@"; do
        case $f in *.c) ;; *) continue ;; esac
        local o="$out/obj/$name-$(echo "$f" | tr / _).o"
        # The fuzz hypervisor and harness are not what is fuzzed: no
        # coverage feedback from them (their branches would steer the
        # fuzzer, and tracing their loops over 3072 frames cost time).
        local cov=-fsanitize=fuzzer-no-link
        case $f in tests/fuzz/*|tests/harness/*) cov= ;; esac
        if stale "$o" "$src/$f"; then
            $CC $flags $cov -c "$src/$f" -o "$o" || return 1
        fi
        objs+=("$o")
    done
    rm -f "$out/lib$name.a"
    ar rcs "$out/lib$name.a" "${objs[@]}"
}

echo "== building fuzz targets with $CC"
build_lib gvt $FUZZ_GVT_SRC tests/harness/fake_xen.c tests/harness/vgpu_dev.c || exit 1
build_lib hooks $FUZZ_HOOKS_SRC || exit 1
built=()
for t in $targets; do
    case $t in
    fuzz_display) main=fuzz_bar0.c; extra=-DFOCUS_DISPLAY ;;
    *) main=$t.c; extra= ;;
    esac
    case $t in
    fuzz_control) main=fuzz_control.c; extra="$src/src/daemon/commands.c $src/tests/fuzz/fake_daemon_files.c" ;;
    fuzz_restore) main=fuzz_restore.c; extra="$src/src/daemon/restore.c $src/src/daemon/files.c $src/src/daemon/live_state.c" ;;
    fuzz_live) main=fuzz_live.c; extra="$src/src/daemon/restore.c $src/src/daemon/files.c $src/src/daemon/live_state.c" ;;
    esac
    case $t in
    fuzz_savefile|fuzz_vgpu_entry|fuzz_reply) libs="$out/libhooks.a $out/libgvt.a $FUZZ_LIBS" ;;
    *) libs="$out/libgvt.a $FUZZ_LIBS" ;;
    esac
    $CC $flags $extra -fsanitize=fuzzer "$src/tests/fuzz/$main" $libs -o "$out/$t" || exit 1
    built+=("$t")
done
[ "$secs" = 0 ] && { echo "built: ${built[*]}"; exit 0; }

pass=0 fail=0
for t in "${built[@]}"; do
    corpus=$out/corpus/$t
    mkdir -p "$corpus" "$out/artifacts/$t"
    # The repo's seeds stay as they are; what the run finds goes here.
    seeds=$src/tests/fuzz/corpus/$t
    echo "== $t for ${secs}s"
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$out/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
           -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
           "$corpus" "$seeds" > "$out/$t.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')
        rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')
        cov=$(grep -oE '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$out/$t.log" | tail -1 |
              sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+)/cov \1, ft \2/')
        echo "PASS: $t (${runs:-?} runs, ${rate:-?}/s, ${cov:-no coverage line})"
        pass=$((pass + 1))
    else
        echo "FAIL: $t (log $out/$t.log, input in $out/artifacts/$t/)"
        tail -40 "$out/$t.log"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
