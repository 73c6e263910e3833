#!/bin/sh
# No file-level circles (scripts/include-graph) in src/gvt, in the shipped
# code (src tools) and in the whole tree with its tests and benches (a test's
# fakes live in files of their own, so that the module they stand under and
# the test that drives it do not depend on each other): a new one fails
# make check, with the edges that close it.
srcdir=${XENGVT_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 not found"
    exit 0
fi
echo "1..3"
n=1
for dirs in "src/gvt" "src tools" "src tools tests bench"; do
    # shellcheck disable=SC2086 # two folders in one argument list
    if out=$(python3 "$srcdir/scripts/include-graph" --root "$srcdir" $dirs 2>&1); then
        echo "ok $n - $(echo "$out" | head -n 1)"
    else
        echo "not ok $n - circles in $dirs"
        echo "$out" | sed 's/^/# /'
    fi
    n=$((n + 1))
done
