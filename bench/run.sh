#!/bin/sh
# Run every benchmark bench/bench_*.sh (optional argument: a name filter).
# Each benchmark measures flowmage against a baseline in the same run and
# prints the ratio with its target.
set -u
: "${FM_BUILD:?}" "${FM_ROOT:?}"
export FM_BUILD FM_ROOT FM_BIN="$FM_BUILD/flowmage" FM_PLUGIN="$FM_BUILD/flowmage.so"
status=0
for b in "$FM_ROOT"/bench/bench_*.sh; do
    case "$(basename "$b")" in *"${1:-}"*) ;; *) continue ;; esac
    echo "== $(basename "$b" .sh)"
    sh "$b" || status=1
done
exit $status
