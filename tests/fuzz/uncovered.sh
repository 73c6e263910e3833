#!/bin/bash
# The lines of src/gvt, src/ioreq and src/pci that no committed fuzz
# input reaches, as ranges per file with the first line's code: the list
# doc/fuzz-coverage.md explains. Reads what `make fuzz-coverage` left
# (run it first, with FUZZ_COVERAGE_CORPUS=committed for the committed
# corpus alone).
#
# usage: uncovered.sh [BUILDDIR]   (default: the current directory)
set -uo pipefail
out=${1:-.}/fuzz-coverage
COV=${LLVM_COV:-llvm-cov}
[ -f "$out/all.profdata" ] || { echo "no $out/all.profdata: run make fuzz-coverage" >&2; exit 1; }
bins=()
for b in "$out"/fuzz_*; do
    [ -x "$b" ] && [ -f "$b" ] && bins+=("$b")
done
objargs=("${bins[0]}")
for b in "${bins[@]:1}"; do objargs+=(-object "$b"); done
src=$(cd "$(dirname "$0")/../.." && pwd)
"$COV" show -instr-profile="$out/all.profdata" "${objargs[@]}" \
    "$src/src/gvt" "$src/src/ioreq" "$src/src/pci" |
awk '
    # A file header is its path alone on a line, ending in ":".
    /^\/.*\.[ch]:$/ { flush(); f = substr($0, 1, length($0) - 1);
                      keep = f ~ /\/src\/(gvt|ioreq|pci)\//; sub(/.*\/src\//, "src/", f); next }
    !keep { next }
    # Lines look like "  123|      0|code"; a count of 0 is a line never run.
    match($0, /^ *[0-9]+\| *[0-9.]+[kMG]?\|/) {
        split($0, p, "|"); n = p[1] + 0; c = p[2]; gsub(/ /, "", c);
        code = substr($0, length(p[1]) + length(p[2]) + 3);
        # Lines without code (blank count) neither end nor start a range.
        if (c == "0") {
            if (start) { last = n }
            else { start = n; last = n; first = code }
        } else { flush() }
        next
    }
    function flush() {
        if (start) {
            gsub(/^ +/, "", first);
            printf "%s:%s  %s\n", f, (start == last ? start : start "-" last), substr(first, 1, 70)
        }
        start = 0
    }
    END { flush() }
' | sort -t: -k1,1 -k2,2n
