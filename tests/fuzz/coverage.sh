#!/bin/bash
# make fuzz-coverage: what the fuzz corpora reach, measured with clang's
# source-based coverage. Every target is built with
# -fprofile-instr-generate -fcoverage-mapping around the replay driver
# (tests/fuzz/replay.c) and run over its committed corpus and, if a
# `make fuzz` run left one, the corpus it grew; the profiles are merged and
# llvm-cov prints, per source file under src/gvt, src/ioreq and src/pci,
# the lines reached, then the three directories' totals.
#
# usage: coverage.sh [TARGET...]   (environment as for run.sh, set by make)
# FUZZ_COVERAGE_CORPUS=committed: only the corpus in the tree (the
# regression suite make check replays), not what make fuzz grew.
set -uo pipefail
src=${FUZZ_SRCDIR:?run through make fuzz-coverage}
out=${FUZZ_BUILDDIR:?}/fuzz-coverage
CC=${FUZZ_CC:-clang}
PROFDATA=${LLVM_PROFDATA:-llvm-profdata}
COV=${LLVM_COV:-llvm-cov}
targets=${*:-fuzz_ioreq fuzz_pci fuzz_bar0 fuzz_display fuzz_cmd fuzz_state fuzz_bars fuzz_control fuzz_edid fuzz_cmdgen fuzz_restore fuzz_live}
rm -rf "$out" && mkdir -p "$out/obj" "$out/prof" "$out/corpus"
flags="-g -O0 -std=gnu11 -Wno-missing-field-initializers -fprofile-instr-generate -fcoverage-mapping
       -D__XEN_TOOLS__ -D_GNU_SOURCE -I$src/src -I$src -I$src/tests/fuzz -I$src/tests/harness
       -I${FUZZ_BUILDDIR} $FUZZ_CPPFLAGS"
objs=()
for f in $FUZZ_GVT_SRC tests/harness/fake_xen.c tests/harness/vgpu_dev.c; do
    case $f in *.c) ;; *) continue ;; esac
    o="$out/obj/$(echo "$f" | tr / _).o"
    $CC $flags -c "$src/$f" -o "$o" || exit 1
    objs+=("$o")
done
ar rcs "$out/libgvt.a" "${objs[@]}"
bins=()
for t in $targets; do
    case $t in
    fuzz_display) main=fuzz_bar0.c; extra=-DFOCUS_DISPLAY ;;
    fuzz_control) main=fuzz_control.c; extra="$src/src/daemon/commands.c $src/tests/fuzz/fake_daemon_files.c" ;;
    fuzz_restore) main=fuzz_restore.c; extra="$src/src/daemon/restore.c $src/src/daemon/files.c $src/src/daemon/live_state.c" ;;
    fuzz_live) main=fuzz_live.c; extra="$src/src/daemon/restore.c $src/src/daemon/files.c $src/src/daemon/live_state.c" ;;
    *) main=$t.c; extra= ;;
    esac
    $CC $flags $extra -DFUZZ_TARGET_NAME="\"$t\"" "$src/tests/fuzz/$main" "$src/tests/fuzz/replay.c" \
        "$out/libgvt.a" $FUZZ_LIBS -o "$out/$t" || exit 1
    # The committed corpus, and what `make fuzz` grew (if anything).
    mkdir -p "$out/corpus/$t"
    cp "$src/tests/fuzz/corpus/$t"/* "$out/corpus/$t/" 2>/dev/null
    if [ "${FUZZ_COVERAGE_CORPUS:-all}" != committed ]; then
        cp "$FUZZ_BUILDDIR/fuzz/corpus/$t"/* "$out/corpus/$t/" 2>/dev/null
        cp "$FUZZ_BUILDDIR/fuzz-nosan/corpus/$t"/* "$out/corpus/$t/" 2>/dev/null
    fi
    n=$(ls "$out/corpus/$t" | wc -l)
    LLVM_PROFILE_FILE="$out/prof/$t.profraw" XENGVT_FUZZ_CORPUS="$out/corpus" "$out/$t" \
        > "$out/$t.log" 2>&1 || { echo "coverage: $t failed on its corpus"; tail -5 "$out/$t.log"; }
    echo "coverage: $t over $n inputs"
    bins+=("$out/$t")
done
"$PROFDATA" merge -o "$out/all.profdata" "$out"/prof/*.profraw || exit 1
objargs=("${bins[0]}")
for b in "${bins[@]:1}"; do objargs+=(-object "$b"); done
"$COV" report -instr-profile="$out/all.profdata" "${objargs[@]}" \
    "$src/src/gvt" "$src/src/ioreq" "$src/src/pci" > "$out/report.txt" || exit 1
# Per file: lines reached of lines; then per directory.
awk -v root="$src/" '
    $1 ~ /\.c$/ { f = $1; sub(root, "", f); total = $8; missed = $9;
                  d = f; sub(/\/[^\/]*$/, "", d);
                  printf "%-32s %6d of %6d lines  %6.1f%%\n", f, total - missed, total,
                         total ? 100 * (total - missed) / total : 0;
                  T[d] += total; M[d] += missed; all += total; allm += missed }
    END { print "";
          for (d in T) printf "%-32s %6d of %6d lines  %6.1f%%\n", d "/", T[d] - M[d], T[d], 100 * (T[d] - M[d]) / T[d];
          printf "%-32s %6d of %6d lines  %6.1f%%\n", "src/gvt + src/ioreq + src/pci", all - allm, all, 100 * (all - allm) / all }
' "$out/report.txt"
echo "details: $COV show -instr-profile=$out/all.profdata ${objargs[*]} FILE"
